//! Transparent mode: tokens from an external identity provider, verified against its JWKS.

mod common;

use common::apps::MathApp;
use common::idp::{KeyServer, TestKey, es256, forge, now, rs256, sign};
use common::mcp::{Client, start, text_of};
use frontmcp_auth::guard::{Rejection, TokenVerifier};
use frontmcp_auth::http::RouterOptions;
use frontmcp_auth::upstream::TransparentVerifier;
use frontmcp_auth::{Clock, ServerDefinition};
use serde_json::{Value, json};

const AUDIENCE: &str = "https://mcp.example.com/mcp";

fn claims(issuer: &str) -> Value {
    json!({
        "iss": issuer,
        "sub": "user-42",
        "aud": AUDIENCE,
        "exp": now() + 600,
        "iat": now(),
        "scope": "mcp:read mcp:write",
        "client_id": "inspector",
    })
}

fn verifier(server: &KeyServer, clock: Clock) -> TransparentVerifier {
    TransparentVerifier::discovering(&server.issuer, vec![AUDIENCE.to_owned()], clock)
}

async fn rejection(verifier: &TransparentVerifier, token: &str) -> String {
    match verifier.verify(token).await {
        Err(Rejection::InvalidToken { description }) => description,
        other => panic!("expected invalid_token, got {other:?}"),
    }
}

#[tokio::test]
async fn es256_and_rs256_tokens_with_the_right_audience_verify() {
    let (ec, rsa) = (es256("ec-1"), rs256("rsa-1"));
    let server = KeyServer::start(&[&ec, &rsa]).await;
    let verifier = verifier(&server, Clock::system());
    for key in [&ec, &rsa] {
        let context = verifier
            .verify(&sign(key, &claims(&server.issuer)))
            .await
            .expect("valid");
        assert_eq!(context.subject, "user-42");
        assert_eq!(context.scopes, ["mcp:read", "mcp:write"]);
        assert_eq!(context.client_id.as_deref(), Some("inspector"));
        assert!(!context.anonymous);
    }
    assert_eq!(server.fetches(), 1, "one fetch serves both keys");
}

#[tokio::test]
async fn every_forgery_is_an_invalid_token() {
    let key = es256("ec-1");
    let server = KeyServer::start(&[&key]).await;
    let verifier = verifier(&server, Clock::system());
    let good = claims(&server.issuer);

    let mut wrong_aud = good.clone();
    wrong_aud["aud"] = json!("https://other.example.com");
    assert_eq!(
        rejection(&verifier, &sign(&key, &wrong_aud)).await,
        "the token is for another audience"
    );

    let mut no_aud = good.clone();
    no_aud.as_object_mut().expect("object").remove("aud");
    assert_eq!(
        rejection(&verifier, &sign(&key, &no_aud)).await,
        "the token has no audience"
    );

    let mut wrong_iss = good.clone();
    wrong_iss["iss"] = json!("https://evil.example.com");
    assert_eq!(
        rejection(&verifier, &sign(&key, &wrong_iss)).await,
        "the token is from another issuer"
    );

    let mut expired = good.clone();
    expired["exp"] = json!(now() - 3600);
    assert_eq!(
        rejection(&verifier, &sign(&key, &expired)).await,
        "the token has expired"
    );

    let mut early = good.clone();
    early["nbf"] = json!(now() + 3600);
    assert_eq!(
        rejection(&verifier, &sign(&key, &early)).await,
        "the token is not valid yet"
    );

    let none = forge(
        &json!({"alg": "none", "typ": "JWT", "kid": "ec-1"}),
        &good,
        b"",
    );
    assert_eq!(
        rejection(&verifier, &none).await,
        "the token is not a well-formed JWT"
    );

    let public_x = key.public_jwk["x"].as_str().expect("x").to_owned();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some("ec-1".into());
    let hs256 = jsonwebtoken::encode(
        &header,
        &good,
        &jsonwebtoken::EncodingKey::from_secret(public_x.as_bytes()),
    )
    .expect("sign");
    assert_eq!(
        rejection(&verifier, &hs256).await,
        "symmetric algorithms are not accepted"
    );

    let token = sign(&key, &good);
    let (head, signature) = token.rsplit_once('.').expect("jwt");
    let mut bytes: Vec<char> = signature.chars().collect();
    bytes[5] = if bytes[5] == 'A' { 'B' } else { 'A' };
    let tampered = format!("{head}.{}", bytes.into_iter().collect::<String>());
    assert_eq!(
        rejection(&verifier, &tampered).await,
        "the signature does not verify"
    );

    let stranger = es256("unknown-kid");
    assert_eq!(
        rejection(&verifier, &sign(&stranger, &good)).await,
        "the token is signed with an unknown key"
    );

    let jku = forge(
        &json!({"alg": "ES256", "kid": "ec-1", "jku": "https://evil.example.com/jwks"}),
        &good,
        b"sig",
    );
    assert!(rejection(&verifier, &jku).await.contains("jku"));

    let rsa = rs256("ec-1");
    let alg_swap = sign(&rsa, &good);
    assert_eq!(
        rejection(&verifier, &alg_swap).await,
        "RS256 does not match the signing key"
    );

    assert_eq!(
        rejection(&verifier, "garbage").await,
        "the token is not a well-formed JWT"
    );
}

#[tokio::test]
async fn an_unknown_kid_refetches_at_most_once_per_cooldown() {
    let key = es256("ec-1");
    let server = KeyServer::start(&[&key]).await;
    let clock = Clock::manual(now());
    let verifier = verifier(&server, clock.clone());
    verifier
        .verify(&sign(&key, &claims(&server.issuer)))
        .await
        .expect("valid");
    assert_eq!(server.fetches(), 1);

    clock.advance(1);
    let stranger = es256("rotated-in-later");
    for _ in 0..20 {
        rejection(&verifier, &sign(&stranger, &claims(&server.issuer))).await;
    }
    assert_eq!(
        server.fetches(),
        2,
        "twenty unknown-kid tokens, one refetch"
    );

    server.publish(&[&key, &stranger]);
    clock.advance(31);
    verifier
        .verify(&sign(&stranger, &claims(&server.issuer)))
        .await
        .expect("the rotated key is picked up after the cool-down");
    assert_eq!(server.fetches(), 3);
}

#[tokio::test]
async fn stale_keys_keep_serving_while_the_provider_is_down() {
    let key = es256("ec-1");
    let mut server = KeyServer::start(&[&key]).await;
    let clock = Clock::manual(now());
    let verifier = verifier(&server, clock.clone());
    verifier
        .verify(&sign(&key, &claims(&server.issuer)))
        .await
        .expect("valid");
    server.stop();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    clock.advance(601);
    let context = verifier.verify(&sign(&key, &claims(&server.issuer))).await;
    assert!(context.is_ok(), "stale keys serve: {context:?}");
    assert_eq!(verifier.keys().fetch_error_count(), 1);
    verifier
        .verify(&sign(&key, &claims(&server.issuer)))
        .await
        .expect("still valid");
    assert_eq!(
        verifier.keys().fetch_count(),
        2,
        "backoff: no second attempt right away"
    );
}

fn transparent_server(issuer: &str, extra: Value) -> ServerDefinition {
    let mut auth = json!({
        "mode": "transparent",
        "provider": issuer,
        "expected_audience": AUDIENCE,
    });
    if let (Some(auth), Some(extra)) = (auth.as_object_mut(), extra.as_object()) {
        auth.extend(extra.clone());
    }
    ServerDefinition::new("TransparentServer")
        .with_base(json!({ "auth": auth }))
        .app::<MathApp>("math")
}

#[tokio::test]
async fn over_http_right_token_passes_and_missing_scope_is_403() {
    let key = rs256("rsa-1");
    let idp = KeyServer::start(&[&key]).await;
    let definition = transparent_server(&idp.issuer, json!({ "required_scopes": ["mcp:read"] }));
    let server = start(&definition, &[], RouterOptions::default()).await;

    let token = sign(&key, &claims(&idp.issuer));
    let mut client = Client::new(server.url("/mcp")).with_token(&token);
    assert_eq!(client.initialize().await.status, 200);
    assert_eq!(
        text_of(&client.call("whoami", json!({})).await),
        "user-42 anonymous=false scopes=mcp:read,mcp:write"
    );

    let mut narrow = claims(&idp.issuer);
    narrow["scope"] = json!("profile");
    let mut client = Client::new(server.url("/mcp")).with_token(&sign(&key, &narrow));
    let refused = client.initialize().await;
    assert_eq!(refused.status, 403);
    let challenge = refused.header("www-authenticate").expect("challenge");
    assert!(
        challenge.starts_with("Bearer error=\"insufficient_scope\", scope=\"mcp:read\""),
        "{challenge}"
    );

    let mut anonymous = Client::new(server.url("/mcp"));
    let bare = anonymous.initialize().await;
    assert_eq!(bare.status, 401);
    assert!(
        bare.header("www-authenticate")
            .expect("challenge")
            .starts_with("Bearer resource_metadata=")
    );

    let document: Value = reqwest::get(server.url("/.well-known/oauth-protected-resource/mcp"))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(document["authorization_servers"], json!([idp.issuer]));
    assert_eq!(document["scopes_supported"], json!(["mcp:read"]));
}

#[tokio::test]
async fn allow_anonymous_lets_tokenless_requests_through() {
    let key = es256("ec-1");
    let idp = KeyServer::start(&[&key]).await;
    let definition = transparent_server(
        &idp.issuer,
        json!({ "allow_anonymous": true, "anonymous_scopes": ["guest"] }),
    );
    let server = start(&definition, &[], RouterOptions::default()).await;
    let mut client = Client::new(server.url("/mcp"));
    assert_eq!(client.initialize().await.status, 200);
    let text = text_of(&client.call("whoami", json!({})).await);
    assert!(text.ends_with("anonymous=true scopes=guest"), "{text}");
    let mut bad = Client::new(server.url("/mcp")).with_token("not-a-jwt");
    assert_eq!(
        bad.initialize().await.status,
        401,
        "a bad token is refused even when anonymous is allowed"
    );
}

#[tokio::test]
async fn inline_jwks_needs_no_network() {
    let key: TestKey = es256("inline-1");
    let issuer = "https://idp.example.com";
    let definition = transparent_server(
        issuer,
        json!({ "provider_config": { "jwks": { "keys": [key.public_jwk.clone()] } } }),
    );
    let server = start(&definition, &[], RouterOptions::default()).await;
    let mut client = Client::new(server.url("/mcp")).with_token(&sign(&key, &claims(issuer)));
    assert_eq!(client.initialize().await.status, 200);
    assert_eq!(
        text_of(&client.call("add", json!({"a": 20, "b": 22})).await),
        "42"
    );
}

#[tokio::test]
async fn expiry_follows_the_injected_clock_with_leeway() {
    let key = es256("ec-1");
    let server = KeyServer::start(&[&key]).await;
    let clock = Clock::manual(now());
    let verifier = verifier(&server, clock.clone()).leeway(30);
    let token = sign(&key, &claims(&server.issuer));
    verifier.verify(&token).await.expect("fresh");
    clock.advance(600 + 29);
    verifier.verify(&token).await.expect("inside the leeway");
    clock.advance(2);
    assert_eq!(rejection(&verifier, &token).await, "the token has expired");
}

#[tokio::test]
async fn one_token_pays_the_signature_once_and_a_removed_key_ends_it_at_the_next_refresh() {
    let (key, successor) = (es256("ec-1"), es256("ec-2"));
    let server = KeyServer::start(&[&key]).await;
    let clock = Clock::manual(now());
    let verifier = verifier(&server, clock.clone());
    // Valid for an hour: longer than the key set's ten minutes.
    let mut long = claims(&server.issuer);
    long["exp"] = json!(now() + 3600);
    let token = sign(&key, &long);
    for _ in 0..20 {
        let context = verifier.verify(&token).await.expect("valid");
        assert_eq!(context.subject, "user-42");
    }
    assert_eq!(
        verifier.signature_checks(),
        1,
        "twenty calls, one signature"
    );
    let other = sign(&successor, &claims(&server.issuer));
    rejection(&verifier, &other).await;
    assert_eq!(verifier.signature_checks(), 2, "a refused token is checked");
    rejection(&verifier, &other).await;
    assert_eq!(verifier.signature_checks(), 3, "and never kept");

    // The provider replaces its key; while the fetched set is fresh the kept token stands,
    // at the next refresh (the set's ten minutes) it is refused like any token of a removed key.
    server.publish(&[&successor]);
    clock.advance(300);
    verifier
        .verify(&token)
        .await
        .expect("inside the key set's lifetime");
    clock.advance(301);
    assert_eq!(
        rejection(&verifier, &token).await,
        "the token is signed with an unknown key"
    );
    verifier
        .verify(&sign(&successor, &claims(&server.issuer)))
        .await
        .expect("the new key verifies");
}
