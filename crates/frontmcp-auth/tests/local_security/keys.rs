//! Signing keys: forged algorithms and issuers, publication before use, rotation, secret length.

use super::*;

fn forge(header: serde_json::Value, claims: serde_json::Value, secret: &[u8]) -> String {
    let head = URL_SAFE_NO_PAD.encode(header.to_string());
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    let input = format!("{head}.{body}");
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
    let tag = aws_lc_rs::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

#[tokio::test]
async fn alg_none_and_tokens_of_another_issuer_are_rejected() {
    let server = Local::start(json!({"session_mode": "stateless"})).await;
    let (_, tokens) = server.tokens().await;
    let good = tokens["access_token"].as_str().expect("access");
    assert_eq!(server.mcp_status(good).await, 200);
    let header: serde_json::Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(good.split('.').next().unwrap_or_default())
            .expect("b64"),
    )
    .expect("json");
    let claims: serde_json::Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(good.split('.').nth(1).unwrap_or_default())
            .expect("b64"),
    )
    .expect("json");

    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(json!({"alg": "none", "kid": header["kid"]}).to_string()),
        good.split('.').nth(1).unwrap_or_default()
    );
    assert_eq!(server.mcp_status(&none).await, 401);

    let mut foreign = claims.clone();
    foreign["iss"] = json!("https://other-issuer.example");
    let token = forge(header.clone(), foreign, SECRET.as_bytes());
    let mut client = common::mcp::Client::new(server.url("/mcp")).with_token(&token);
    let answer = client.initialize().await;
    assert_eq!(answer.status, 401);
    assert!(
        answer
            .header("www-authenticate")
            .unwrap_or_default()
            .contains("another issuer")
    );

    let mut other_audience = claims.clone();
    other_audience["aud"] = json!("https://other.example/mcp");
    assert_eq!(
        server
            .mcp_status(&forge(header.clone(), other_audience, SECRET.as_bytes()))
            .await,
        401
    );

    let same = forge(header, claims, SECRET.as_bytes());
    assert_eq!(
        server.mcp_status(&same).await,
        200,
        "the forger's method is sound: only the changes fail"
    );
}

#[tokio::test]
async fn keys_are_published_before_they_sign_and_stop_verifying_once_rotated_out() {
    let auth = json!({
        "local": {"key_rotation_days": 1, "max_keys": 2},
        "refresh": {"access_token_ttl": 864000},
    });
    let mut definition_auth = auth.clone();
    definition_auth["mode"] = json!("local");
    let definition = frontmcp_auth::ServerDefinition::new("Rotating")
        .with_base(json!({"auth": definition_auth}))
        .app::<common::apps::MathApp>("math");
    let server = Local::start_definition(&definition, &[]).await;
    let (_, tokens) = server.tokens().await;
    let old = tokens["access_token"].as_str().expect("access").to_owned();
    let keys = |jwks: serde_json::Value| -> Vec<String> {
        jwks["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .filter_map(|k| k["kid"].as_str().map(str::to_owned))
            .collect()
    };
    let kid_of = |token: &str| -> String {
        use base64::Engine;
        let header = token.split('.').next().expect("header");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .expect("base64");
        let header: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        header["kid"].as_str().expect("kid").to_owned()
    };
    let first_keys = keys(server.get("/.well-known/jwks.json").await.json());
    assert_eq!(
        first_keys.len(),
        2,
        "the signing key and the next one, published a whole period before it signs"
    );
    assert_eq!(kid_of(&old), first_keys[0]);

    server.clock.advance(86_400);
    let second_keys = keys(server.get("/.well-known/jwks.json").await.json());
    assert_eq!(
        second_keys.len(),
        3,
        "the new signing key, the previous one, and the key after"
    );
    assert!(second_keys.contains(&first_keys[0]));
    let (_, tokens) = server.tokens().await;
    let new = tokens["access_token"].as_str().expect("access").to_owned();
    assert_eq!(
        kid_of(&new),
        first_keys[1],
        "the key that signs now is the one published a day ago"
    );
    assert_eq!(
        server.mcp_status(&old).await,
        200,
        "tokens of the previous key still verify"
    );

    server.clock.advance(86_400);
    let third_keys = keys(server.get("/.well-known/jwks.json").await.json());
    assert_eq!(third_keys.len(), 3);
    assert!(
        !third_keys.contains(&first_keys[0]),
        "the first key is rotated out"
    );
    let mut client = common::mcp::Client::new(server.url("/mcp")).with_token(&old);
    let answer = client.initialize().await;
    assert_eq!(answer.status, 401);
    assert!(
        answer
            .header("www-authenticate")
            .unwrap_or_default()
            .contains("unknown key")
    );
}

#[tokio::test]
async fn jwt_secret_old_keeps_tokens_verifying_through_a_secret_rotation() {
    // Three deployments of one server over one store, as a rolling secret rotation goes:
    // before (old secret), during (new secret, old one kept as JWT_SECRET_OLD), after (new only).
    let new_secret = "fedcba9876543210fedcba9876543210-rotated";
    let public_url = ("FRONTMCP_PUBLIC_URL", "http://127.0.0.1");
    let clock = frontmcp_auth::Clock::manual(START);
    let store: std::sync::Arc<dyn frontmcp_auth::store::Store> =
        std::sync::Arc::new(frontmcp_auth::store::MemoryStore::new(clock.clone()));
    let definition = common::local::definition(json!({}));
    let deploy = |env: Vec<(&'static str, &'static str)>| {
        let (definition, clock, store) = (&definition, clock.clone(), store.clone());
        async move { Local::start_with_store(definition, &env, clock, store).await }
    };
    let before = deploy(vec![public_url, ("JWT_SECRET", SECRET)]).await;
    let during = deploy(vec![
        public_url,
        ("JWT_SECRET", new_secret),
        ("JWT_SECRET_OLD", SECRET),
    ])
    .await;
    let after = deploy(vec![public_url, ("JWT_SECRET", new_secret)]).await;

    let (client_id, tokens) = before.tokens().await;
    let old_access = tokens["access_token"].as_str().expect("access").to_owned();
    let refresh = tokens["refresh_token"].as_str().expect("refresh");
    assert_eq!(before.mcp_status(&old_access).await, 200);
    assert_eq!(
        during.mcp_status(&old_access).await,
        200,
        "a token of the old secret verifies while JWT_SECRET_OLD holds it"
    );

    let rotated = during.refresh(&client_id, refresh).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let new_access = rotated.json()["access_token"]
        .as_str()
        .expect("access")
        .to_owned();
    assert_eq!(during.mcp_status(&new_access).await, 200);
    assert_eq!(
        before.mcp_status(&new_access).await,
        401,
        "the new token is signed with the new secret, not the old one"
    );

    assert_eq!(after.mcp_status(&new_access).await, 200);
    assert_eq!(
        after.mcp_status(&old_access).await,
        401,
        "once JWT_SECRET_OLD is gone, tokens of the old secret stop verifying"
    );
}

#[test]
fn an_hs256_secret_under_32_bytes_refuses_to_start() {
    let definition =
        frontmcp_auth::ServerDefinition::new("Short").with_base(json!({"auth": {"mode": "local"}}));
    let result = definition
        .loader()
        .env(frontmcp_auth::config::Environment::from_pairs([(
            "JWT_SECRET",
            "too-short-secret",
        )]))
        .file(frontmcp_auth::config::FileChoice::None)
        .load();
    let text = common::assert_violation(result, Rule::Hs256SecretTooShort, "at least 32");
    assert!(text.contains("JWT_SECRET"), "{text}");
    assert!(!text.contains("too-short-secret"), "{text}");
}

#[tokio::test]
async fn a_configured_key_rotation_keeps_old_tokens_verifying() {
    use frontmcp_auth::token::{KeyKind, SigningKey};
    let jwk = || serde_json::Value::Object(SigningKey::generate(KeyKind::Es256).expect("key").1);
    let (old, new) = (jwk(), jwk());
    let config = |sign: &serde_json::Value, previous: &[&serde_json::Value]| json!({"local": {"sign_key": sign, "previous_keys": previous}});
    // One store and one public URL for the three servers, as across a restart: only the keys
    // change.
    let clock = frontmcp_auth::Clock::manual(START);
    let store: std::sync::Arc<dyn frontmcp_auth::store::Store> =
        std::sync::Arc::new(frontmcp_auth::store::MemoryStore::new(clock.clone()));
    let start = |auth: serde_json::Value| {
        let (clock, store) = (clock.clone(), store.clone());
        async move {
            // One public URL, so the issuer and audience stay the same.
            let definition = common::local::definition_with(
                auth,
                json!({"http": {"public_url": "http://127.0.0.1"}}),
            );
            Local::start_with_store(&definition, &[], clock, store).await
        }
    };
    // Tokens signed with the old key.
    let before = start(config(&old, &[])).await;
    let (_, tokens) = before.tokens().await;
    let old_token = tokens["access_token"].as_str().expect("access").to_owned();
    // The new key signs; the old one is listed as previous: old tokens still verify, both keys
    // are published, new tokens carry the new kid.
    let after = start(config(&new, &[&old])).await;
    assert_eq!(after.mcp_status(&old_token).await, 200);
    let jwks = after.get("/.well-known/jwks.json").await.json();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(|k| k["kid"].as_str())
        .collect();
    assert_eq!(
        kids,
        [
            new["kid"].as_str().unwrap_or("new"),
            old["kid"].as_str().unwrap_or("old")
        ]
    );
    let (_, fresh) = after.tokens().await;
    let header = fresh["access_token"]
        .as_str()
        .expect("access")
        .split('.')
        .next()
        .expect("header")
        .to_owned();
    let header: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, header)
            .expect("base64"),
    )
    .expect("json");
    assert_eq!(header["kid"], new["kid"]);
    // Without the previous key, the old tokens are refused: the list is what keeps them.
    let dropped = start(config(&new, &[])).await;
    assert_eq!(dropped.mcp_status(&old_token).await, 401);
}
