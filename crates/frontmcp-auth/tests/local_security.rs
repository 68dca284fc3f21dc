//! The authorization server's security rules, one named test each, over real HTTP on loopback
//! with an injected clock.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::local::{
    CHALLENGE, CONFIGURED, Local, REDIRECT, SECRET, START, VERIFIER, challenge_of, form,
};
use frontmcp_auth::rules::Rule;
use serde_json::json;

fn error_of(reply: &common::local::Reply) -> String {
    reply.json()["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn pkce_plain_or_missing_is_rejected() {
    let server = Local::start(json!({})).await;
    let client_id = CONFIGURED;
    for extra in [
        vec![("code_challenge_method", "plain")],
        vec![("code_challenge_method", "")],
        vec![("code_challenge", "")],
    ] {
        let reply = server.authorize(client_id, &extra).await;
        assert_eq!(reply.status, 302, "{extra:?}: {}", reply.text);
        assert_eq!(
            reply.location_param("error").as_deref(),
            Some("invalid_request"),
            "{extra:?}"
        );
        assert_eq!(reply.location_param("state").as_deref(), Some("state-123"));
        assert_eq!(reply.location_param("iss"), Some(server.base()));
    }
}

#[tokio::test]
async fn a_wrong_pkce_verifier_is_rejected() {
    let server = Local::start(json!({})).await;
    let (client_id, code) = server.code().await;
    let wrong = "x".repeat(43);
    let reply = server.exchange(&client_id, &code, &wrong).await;
    assert_eq!(reply.status, 400);
    assert_eq!(error_of(&reply), "invalid_grant");
    assert!(reply.text.contains("PKCE"), "{}", reply.text);
    let again = server.exchange(&client_id, &code, VERIFIER).await;
    assert_eq!(
        error_of(&again),
        "invalid_grant",
        "a code is burnt by a failed attempt"
    );
}

#[tokio::test]
async fn code_reuse_is_rejected_and_its_tokens_revoked() {
    let server = Local::start(json!({})).await;
    let (client_id, code) = server.code().await;
    let first = server.exchange(&client_id, &code, VERIFIER).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let tokens = first.json();
    let access = tokens["access_token"].as_str().expect("access");
    let refresh = tokens["refresh_token"].as_str().expect("refresh");
    assert_eq!(server.mcp_status(access).await, 200);

    let second = server.exchange(&client_id, &code, VERIFIER).await;
    assert_eq!(second.status, 400);
    assert_eq!(error_of(&second), "invalid_grant");
    assert!(second.text.contains("already used"), "{}", second.text);

    assert_eq!(
        server.mcp_status(access).await,
        401,
        "the access token is revoked"
    );
    assert_eq!(
        error_of(&server.refresh(&client_id, refresh).await),
        "invalid_grant"
    );
}

#[tokio::test]
async fn a_code_expires_after_sixty_seconds() {
    let server = Local::start(json!({})).await;
    let (client_id, code) = server.code().await;
    server.clock.advance(61);
    let reply = server.exchange(&client_id, &code, VERIFIER).await;
    assert_eq!(error_of(&reply), "invalid_grant");
    assert!(reply.text.contains("expired"), "{}", reply.text);
}

#[tokio::test]
async fn a_code_is_bound_to_its_client_and_redirect_uri() {
    let server = Local::start(json!({})).await;
    let (client_id, code) = server.code().await;
    let other = server.public_client().await;
    let reply = server.exchange(&other, &code, VERIFIER).await;
    assert_eq!(error_of(&reply), "invalid_grant");

    let (client_id2, code2) = server.code().await;
    let body = form(&[
        ("grant_type", "authorization_code"),
        ("code", &code2),
        ("redirect_uri", "http://127.0.0.1:7777/other"),
        ("code_verifier", VERIFIER),
        ("client_id", &client_id2),
    ]);
    let reply = server.post_form("/oauth/token", body, &[]).await;
    assert_eq!(error_of(&reply), "invalid_grant");
    assert!(!client_id.is_empty());
}

#[tokio::test]
async fn a_redirect_uri_mismatch_gets_a_400_page_not_a_redirect() {
    let server = Local::start(json!({})).await;
    let client_id = server.public_client().await;
    for redirect in [
        "https://evil.example/callback",
        "http://127.0.0.1:7777/callback/extra",
        "http://127.0.0.1:7777/callback?x=1",
    ] {
        let reply = server
            .authorize(&client_id, &[("redirect_uri", redirect)])
            .await;
        assert_eq!(reply.status, 400, "{redirect}");
        assert!(reply.header("location").is_none());
        assert!(
            reply
                .header("content-type")
                .is_some_and(|t| t.starts_with("text/html"))
        );
        assert!(
            reply.text.contains("redirect_uri is not registered"),
            "{}",
            reply.text
        );
    }
    let loopback_other_port = server
        .authorize(
            &client_id,
            &[("redirect_uri", "http://127.0.0.1:9191/callback")],
        )
        .await;
    assert_eq!(
        loopback_other_port.status, 200,
        "loopback redirect URIs match on any port"
    );
}

#[tokio::test]
async fn an_unknown_client_gets_a_400_page_not_a_redirect() {
    let server = Local::start(json!({})).await;
    let reply = server.authorize("mcp_nobody", &[]).await;
    assert_eq!(reply.status, 400);
    assert!(reply.header("location").is_none());
    assert!(reply.text.contains("unknown client"), "{}", reply.text);
}

#[tokio::test]
async fn refresh_reuse_outside_the_grace_window_revokes_the_family() {
    let server = Local::start(json!({"refresh": {"reuse_grace_seconds": 5}})).await;
    let (client_id, tokens) = server.tokens().await;
    let first = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let rotated = server.refresh(&client_id, &first).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let second = rotated.json()["refresh_token"]
        .as_str()
        .expect("rotated")
        .to_owned();
    let access = rotated.json()["access_token"]
        .as_str()
        .expect("access")
        .to_owned();
    assert_ne!(first, second);

    server.clock.advance(6);
    let reuse = server.refresh(&client_id, &first).await;
    assert_eq!(error_of(&reuse), "invalid_grant");
    assert!(reuse.text.contains("reuse detected"), "{}", reuse.text);
    assert_eq!(
        error_of(&server.refresh(&client_id, &second).await),
        "invalid_grant",
        "the whole family is revoked"
    );
    assert_eq!(server.mcp_status(&access).await, 401);
}

#[tokio::test]
async fn a_retry_within_the_grace_window_gets_the_same_pair() {
    let server = Local::start(json!({"refresh": {"reuse_grace_seconds": 5}})).await;
    let (client_id, tokens) = server.tokens().await;
    let first = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let rotated = server.refresh(&client_id, &first).await.json();
    server.clock.advance(3);
    let retried = server.refresh(&client_id, &first).await;
    assert_eq!(retried.status, 200, "{}", retried.text);
    assert_eq!(retried.json(), rotated, "the same new pair comes back");
    let next = rotated["refresh_token"].as_str().expect("refresh");
    assert_eq!(
        server.refresh(&client_id, next).await.status,
        200,
        "the family is intact"
    );
}

#[tokio::test]
async fn a_replay_within_the_grace_window_is_allowed_a_bounded_number_of_times() {
    let server = Local::start(json!({"refresh": {"reuse_grace_seconds": 5}})).await;
    let (client_id, tokens) = server.tokens().await;
    let first = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let rotated = server.refresh(&client_id, &first).await.json();
    for _ in 0..20 {
        let retried = server.refresh(&client_id, &first).await;
        assert_eq!(retried.status, 200, "{}", retried.text);
    }
    let one_more = server.refresh(&client_id, &first).await;
    assert_eq!(error_of(&one_more), "invalid_grant");
    assert!(
        one_more.text.contains("retried too many times"),
        "{}",
        one_more.text
    );
    let next = rotated["refresh_token"].as_str().expect("refresh");
    assert_eq!(
        server.refresh(&client_id, next).await.status,
        200,
        "past the bound no more copies, and the family stays"
    );
}

#[tokio::test]
async fn concurrent_refreshes_rotate_exactly_once() {
    let server = Local::start(json!({})).await;
    let (client_id, tokens) = server.tokens().await;
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let replies =
        futures::future::join_all((0..20).map(|_| server.refresh(&client_id, &refresh))).await;
    let new_tokens: std::collections::BTreeSet<String> = replies
        .iter()
        .map(|r| {
            assert_eq!(r.status, 200, "{}", r.text);
            r.json()["refresh_token"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(
        new_tokens.len(),
        1,
        "one rotation; every retry saw the same pair"
    );
}

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
async fn an_expired_pending_authorization_gives_the_request_expired_page() {
    let server = Local::start(json!({})).await;
    let client_id = server.public_client().await;
    let page = server.authorize(&client_id, &[]).await;
    server.clock.advance(601);
    let reply = server.login(&page, "ada@example.com").await;
    assert_eq!(reply.status, 400);
    assert!(reply.text.contains("request expired"), "{}", reply.text);
    assert!(reply.header("location").is_none());
}

#[tokio::test]
async fn the_login_form_needs_its_csrf_cookie_and_token() {
    let server = Local::start(json!({})).await;
    let client_id = server.public_client().await;
    let page = server.authorize(&client_id, &[]).await;
    let cookie = page.cookies();
    assert!(cookie.starts_with("fmcp_csrf_"), "{cookie}");
    let set_cookie = page.header("set-cookie").unwrap_or_default();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"),
        "{set_cookie}"
    );
    let pending = page.field("pending_auth_id");
    let token = page.field("csrf_token");
    for (body_token, cookie_header) in [
        (token.as_str(), ""),
        ("forged", cookie.as_str()),
        ("", cookie.as_str()),
    ] {
        let body = form(&[
            ("pending_auth_id", &pending),
            ("csrf_token", body_token),
            ("email", "ada@example.com"),
        ]);
        let reply = server
            .post_form("/oauth/callback", body, &[("cookie", cookie_header)])
            .await;
        assert_eq!(reply.status, 403, "{body_token:?} / {cookie_header:?}");
        assert!(reply.header("location").is_none());
    }
    assert_eq!(
        server.login(&page, "ada@example.com").await.status,
        302,
        "the real form still works"
    );
}

#[tokio::test]
async fn the_login_page_cannot_be_framed_and_escapes_client_names() {
    let server = Local::start(json!({})).await;
    let reply = server
        .register(json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none", "client_name": "<script>alert(1)</script>"}))
        .await;
    let client_id = reply.json()["client_id"].as_str().expect("id").to_owned();
    let page = server.authorize(&client_id, &[]).await;
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert!(!page.text.contains("<script>alert(1)</script>"));
    assert!(
        page.text
            .contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
    );
}

#[tokio::test]
async fn state_is_echoed_byte_for_byte_with_the_issuer() {
    let server = Local::start(json!({})).await;
    let client_id = server.public_client().await;
    let state = "a b+c/d?e=f&g=%20h~é";
    let page = server.authorize(&client_id, &[("state", state)]).await;
    let done = server.login(&page, "ada@example.com").await;
    assert_eq!(done.status, 302);
    assert_eq!(done.location_param("state").as_deref(), Some(state));
    assert_eq!(done.location_param("iss"), Some(server.base()));
    assert!(
        done.header("location")
            .unwrap_or_default()
            .starts_with(REDIRECT)
    );
}

#[tokio::test]
async fn errors_before_login_redirect_only_to_configured_clients() {
    let server = Local::start(json!({})).await;
    let dynamic = server.public_client().await;
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("response_type", "token")], "unsupported_response_type"),
        (
            &[("resource", "https://elsewhere.example/mcp")],
            "invalid_target",
        ),
        (&[("scope", "bad\"scope")], "invalid_scope"),
        (&[("code_challenge", "too-short")], "invalid_request"),
    ];
    for (extra, code) in cases {
        // A client of the configuration: the error goes back to its redirect URI.
        let reply = server.authorize(CONFIGURED, extra).await;
        assert_eq!(reply.status, 302, "{extra:?}");
        assert_eq!(
            reply.location_param("error").as_deref(),
            Some(code),
            "{extra:?}"
        );
        assert!(reply.location_param("error_description").is_some());
        // A client registered dynamically: a page, and the browser goes nowhere.
        let page = server.authorize(&dynamic, extra).await;
        assert_eq!(page.status, 400, "{extra:?}: {}", page.text);
        assert!(page.header("location").is_none());
        assert!(page.text.contains(code), "{}", page.text);
    }
    let client_id = dynamic;
    let own = server
        .authorize(&client_id, &[("resource", &server.url("/mcp"))])
        .await;
    assert_eq!(own.status, 200, "the server's own resource is accepted");
    assert_eq!(CHALLENGE, challenge_of(VERIFIER));
    assert_eq!(START, 1_800_000_000);
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
