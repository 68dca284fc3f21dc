//! The upstream `id_token` checks of remote mode (OpenID Connect Core §3.1.3.7), one refusal per
//! check: another nonce, another audience, another issuer, expired, a symmetric algorithm, a key
//! the provider never published, several audiences without `azp`, no subject.

mod common;

use frontmcp_auth::Clock;
use frontmcp_auth::upstream::{
    HttpFetcher, JwksCache, JwksOptions, JwksSource, ProviderSettings, UpstreamError,
    keys_from_jwks, verify_id_token,
};
use jsonwebtoken::{EncodingKey, Header};
use serde_json::{Value, json};

use common::idp::{TestKey, es256, now, sign};
use common::remote::{CLIENT_ID, CLIENT_SECRET, auth_config};

const ISSUER: &str = "https://idp.example.com";
const NONCE: &str = "n-0S6_WzA2Mj";

struct Fixture {
    settings: ProviderSettings,
    keys: JwksCache,
    key: TestKey,
    now: u64,
}

fn fixture() -> Fixture {
    let auth = auth_config(ISSUER, json!({}));
    let settings = ProviderSettings::from_config(&auth).expect("settings");
    let key = es256("upstream-1");
    let now = now();
    let keys = JwksCache::new(
        JwksSource::Inline(keys_from_jwks(&json!({ "keys": [key.public_jwk.clone()] }))),
        HttpFetcher::default(),
        JwksOptions::default(),
        Clock::manual(now),
    );
    Fixture {
        settings,
        keys,
        key,
        now,
    }
}

impl Fixture {
    fn claims(&self) -> Value {
        json!({
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "sub": "user-1",
            "nonce": NONCE,
            "iat": self.now,
            "exp": self.now + 300,
            "email": "ada@example.com",
        })
    }

    fn with(&self, name: &str, value: Value) -> String {
        let mut claims = self.claims();
        claims[name] = value;
        sign(&self.key, &claims)
    }

    async fn verify(&self, token: &str) -> Result<serde_json::Map<String, Value>, UpstreamError> {
        verify_id_token(token, &self.settings, &self.keys, NONCE, self.now).await
    }

    async fn refused(&self, token: &str) -> String {
        match self.verify(token).await {
            Ok(claims) => panic!("accepted: {claims:?}"),
            Err(UpstreamError::Invalid(message)) => message,
            Err(other) => panic!("refused for another reason: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_token_of_the_provider_for_this_sign_in_is_accepted() {
    let f = fixture();
    let claims = f.verify(&sign(&f.key, &f.claims())).await.expect("valid");
    assert_eq!(claims["sub"], "user-1");
    assert_eq!(claims["email"], "ada@example.com");
}

#[tokio::test]
async fn a_token_with_another_nonce_is_refused() {
    let f = fixture();
    let message = f.refused(&f.with("nonce", json!("another-sign-in"))).await;
    assert!(message.contains("nonce"), "{message}");
    let mut claims = f.claims();
    claims.as_object_mut().expect("object").remove("nonce");
    let message = f.refused(&sign(&f.key, &claims)).await;
    assert!(message.contains("nonce"), "a missing nonce: {message}");
}

#[tokio::test]
async fn a_token_for_another_audience_is_refused() {
    let f = fixture();
    let message = f.refused(&f.with("aud", json!("another-client"))).await;
    assert!(message.contains("another audience"), "{message}");
    let message = f
        .refused(&f.with("aud", json!(["another-client", "third"])))
        .await;
    assert!(message.contains("another audience"), "{message}");
}

#[tokio::test]
async fn several_audiences_need_this_server_as_authorized_party() {
    let f = fixture();
    let message = f
        .refused(&f.with("aud", json!([CLIENT_ID, "another-client"])))
        .await;
    assert!(message.contains("azp"), "{message}");
    let mut claims = f.claims();
    claims["aud"] = json!([CLIENT_ID, "another-client"]);
    claims["azp"] = json!(CLIENT_ID);
    f.verify(&sign(&f.key, &claims))
        .await
        .expect("azp names this server");
}

#[tokio::test]
async fn a_token_of_another_issuer_is_refused() {
    let f = fixture();
    let message = f
        .refused(&f.with("iss", json!("https://evil.example.com")))
        .await;
    assert!(message.contains("another issuer"), "{message}");
    let message = f.refused(&f.with("iss", json!(format!("{ISSUER}/")))).await;
    assert!(
        message.contains("another issuer"),
        "issuers match exactly: {message}"
    );
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let f = fixture();
    let mut claims = f.claims();
    claims["iat"] = json!(f.now - 3600);
    claims["exp"] = json!(f.now - 600);
    let message = f.refused(&sign(&f.key, &claims)).await;
    assert!(message.to_lowercase().contains("expired"), "{message}");
}

#[tokio::test]
async fn a_token_issued_in_the_future_is_refused() {
    let f = fixture();
    let mut claims = f.claims();
    claims["iat"] = json!(f.now + 3600);
    claims["exp"] = json!(f.now + 7200);
    let message = f.refused(&sign(&f.key, &claims)).await;
    assert!(message.contains("future"), "{message}");
}

#[tokio::test]
async fn a_token_signed_with_the_client_secret_is_refused() {
    let f = fixture();
    let header = Header::new(jsonwebtoken::Algorithm::HS256);
    let token = jsonwebtoken::encode(
        &header,
        &f.claims(),
        &EncodingKey::from_secret(CLIENT_SECRET.as_bytes()),
    )
    .expect("sign");
    let message = f.refused(&token).await;
    assert!(message.contains("symmetric"), "{message}");
}

#[tokio::test]
async fn a_token_signed_with_a_key_the_provider_never_published_is_refused() {
    let f = fixture();
    let stranger = es256("upstream-1");
    let message = f.refused(&sign(&stranger, &f.claims())).await;
    assert!(message.contains("id_token"), "{message}");
    let unknown = es256("unknown-kid");
    let message = f.refused(&sign(&unknown, &f.claims())).await;
    assert!(message.contains("not in the provider's JWKS"), "{message}");
}

#[tokio::test]
async fn a_token_without_a_subject_is_refused() {
    let f = fixture();
    let message = f.refused(&f.with("sub", json!(""))).await;
    assert!(message.contains("subject"), "{message}");
}
