//! Production hardening over real HTTP on loopback with an injected clock: per-endpoint rate
//! limits, request body limits, CORS, the identity rules (email domains, session limit), the
//! admin revocation endpoint and the metrics credential.

#[path = "../common/mod.rs"]
mod common;
mod identity;

use common::local::{Local, REDIRECT, definition_with, form};
use frontmcp_auth::ServerDefinition;
use serde_json::{Value, json};

const ADMIN: &str = "admin-credential-0123456789abcdef-xyz";

fn definition(auth: Value, security: Value, http: Value) -> ServerDefinition {
    definition_with(auth, json!({"security": security, "http": http}))
}

async fn start(security: Value) -> Local {
    Local::start_definition(&definition(json!({}), security, json!({})), &[]).await
}

fn limits(endpoint: &str, limit: u64, window: u64) -> Value {
    json!({"rate_limits": {"enabled": true, endpoint: {"limit": limit, "window": window}}})
}

async fn token_request(server: &Local, headers: &[(&str, &str)]) -> u16 {
    let body = form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", "x"),
        ("client_id", "nobody"),
    ]);
    server.post_form("/oauth/token", body, headers).await.status
}

#[tokio::test]
async fn the_token_endpoint_answers_429_after_its_limit_until_the_window_resets() {
    let server = start(limits("token", 3, 60)).await;
    server.clock.advance(60 - server.clock.now() % 60);
    for _ in 0..3 {
        assert_eq!(token_request(&server, &[]).await, 401);
    }
    server.clock.advance(20);
    let body = form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", "x"),
        ("client_id", "nobody"),
    ]);
    let refused = server.post_form("/oauth/token", body, &[]).await;
    assert_eq!(refused.status, 429, "{}", refused.text);
    assert_eq!(refused.header("retry-after"), Some("40"));
    assert_eq!(refused.json()["error"], "rate_limited");
    server.clock.advance(40);
    assert_eq!(token_request(&server, &[]).await, 401, "a new window");
}

#[tokio::test]
async fn the_authorize_endpoint_has_its_own_limit() {
    let server = start(limits("authorize", 2, 60)).await;
    let client_id = server.public_client().await;
    assert_eq!(server.authorize(&client_id, &[]).await.status, 200);
    assert_eq!(server.authorize(&client_id, &[]).await.status, 200);
    let refused = server.authorize(&client_id, &[]).await;
    assert_eq!(refused.status, 429);
    assert!(refused.header("retry-after").is_some());
    assert_eq!(
        token_request(&server, &[]).await,
        401,
        "other endpoints are not affected"
    );
    server.clock.advance(60);
    assert_eq!(server.authorize(&client_id, &[]).await.status, 200);
}

#[tokio::test]
async fn the_register_endpoint_has_a_default_limit_of_ten_per_hour() {
    let server = start(json!({"rate_limits": {"enabled": true}})).await;
    for _ in 0..10 {
        server.public_client().await;
    }
    let refused = server
        .register(json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}))
        .await;
    assert_eq!(refused.status, 429, "{}", refused.text);
    let wait: u64 = refused
        .header("retry-after")
        .expect("retry-after")
        .parse()
        .expect("seconds");
    assert!((1..=3600).contains(&wait), "{wait}");
    server.clock.advance(wait);
    server.public_client().await;
}

/// One request to a limited endpoint: a form, or the admin endpoint's JSON.
async fn limited_request(server: &Local, path: &str) -> common::local::Reply {
    if path.starts_with("/admin") {
        let bearer = format!("Bearer {ADMIN}");
        let body = json!({"user_email": "nobody@example.com", "revoke_all": true});
        server
            .post_json(path, body, &[("authorization", bearer.as_str())])
            .await
    } else {
        let body = form(&[("pending_auth_id", "x"), ("token", "x")]);
        server.post_form(path, body, &[]).await
    }
}

#[tokio::test]
async fn the_login_revoke_and_admin_endpoints_have_their_own_limits() {
    let limit = json!({"limit": 2, "window": 60});
    let server = start(json!({
        "admin_token": ADMIN,
        "rate_limits": {"enabled": true, "login": limit, "revoke": limit, "admin": limit},
    }))
    .await;
    // (path, requests allowed before the 429): the login and consent forms share the `login`
    // count, revocation and introspection the `revoke` count.
    let cases = [
        ("/oauth/callback", 2),
        ("/oauth/consent", 0),
        ("/oauth/revoke", 2),
        ("/oauth/introspect", 0),
        ("/admin/sessions/revoke", 2),
    ];
    for (path, allowed) in cases {
        for n in 0..allowed {
            let reply = limited_request(&server, path).await;
            assert_ne!(reply.status, 429, "{path} request {n}: {}", reply.text);
            assert!(
                reply.status < 500,
                "{path}: {} {}",
                reply.status,
                reply.text
            );
        }
        let refused = limited_request(&server, path).await;
        assert_eq!(refused.status, 429, "{path}: {}", refused.text);
        assert_eq!(refused.header("retry-after"), Some("60"), "{path}");
        assert_eq!(refused.json()["error"], "rate_limited");
    }
    assert_eq!(
        token_request(&server, &[]).await,
        401,
        "token is not limited here"
    );
    server.clock.advance(60);
    for (path, _) in cases {
        let reply = limited_request(&server, path).await;
        assert_ne!(
            reply.status, 429,
            "{path} in the next window: {}",
            reply.text
        );
    }
}

#[tokio::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    let untrusted = start(limits("token", 1, 60)).await;
    assert_eq!(
        token_request(&untrusted, &[("x-forwarded-for", "203.0.113.1")]).await,
        401
    );
    assert_eq!(
        token_request(&untrusted, &[("x-forwarded-for", "203.0.113.2")]).await,
        429,
        "a spoofed header from an untrusted peer changes nothing"
    );

    let definition = definition(
        json!({}),
        limits("token", 1, 60),
        json!({"trusted_proxies": ["127.0.0.1"]}),
    );
    let proxied = Local::start_definition(&definition, &[]).await;
    assert_eq!(
        token_request(&proxied, &[("x-forwarded-for", "203.0.113.1")]).await,
        401
    );
    assert_eq!(
        token_request(&proxied, &[("x-forwarded-for", "203.0.113.2")]).await,
        401
    );
    assert_eq!(
        token_request(&proxied, &[("x-forwarded-for", "203.0.113.1")]).await,
        429
    );
}

#[tokio::test]
async fn rate_limits_are_off_by_default_outside_production() {
    let server = start(json!({})).await;
    for _ in 0..80 {
        assert_eq!(token_request(&server, &[]).await, 401);
    }
}

#[tokio::test]
async fn oversized_bodies_get_413_with_or_without_a_length() {
    let server = start(json!({"max_body_bytes": 8192})).await;
    let big = "x".repeat(20_000);
    let declared = server
        .http
        .post(server.url("/mcp"))
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .expect("post");
    assert_eq!(declared.status(), 413);
    // Chunked, so no length is declared up front.
    let mut request = String::from(
        "POST /oauth/register HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n",
    );
    for chunk in [&big[..10_000], &big[10_000..]] {
        request.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
    }
    request.push_str("0\r\n\r\n");
    let answer = frontmcp_auth_testkit::fuzz::wire::exchange(
        server.running.addr,
        request.as_bytes(),
        false,
        std::time::Duration::from_secs(10),
        64 * 1024,
    )
    .await;
    assert!(
        matches!(
            answer,
            frontmcp_auth_testkit::fuzz::wire::Outcome::Answered { status: 413, .. }
        ),
        "{answer:?}"
    );
    let small = server
        .register(json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}))
        .await;
    assert_eq!(small.status, 201, "a normal request still works");
}

#[tokio::test]
async fn cors_preflights_and_echoes_allowed_origins_on_the_public_endpoints() {
    let server =
        start(json!({"cors": {"allowed_origins": ["https://app.example.com"], "max_age": 120}}))
            .await;
    let preflight = server
        .http
        .request(reqwest::Method::OPTIONS, server.url("/oauth/token"))
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("preflight");
    assert_eq!(preflight.status(), 204);
    let headers = preflight.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert_eq!(headers["access-control-max-age"], "120");
    assert!(
        headers["access-control-allow-headers"]
            .to_str()
            .expect("ascii")
            .contains("authorization")
    );

    let discovery = server
        .http
        .get(server.url("/.well-known/oauth-authorization-server"))
        .header("origin", "https://app.example.com")
        .send()
        .await
        .expect("get");
    assert_eq!(discovery.status(), 200);
    assert_eq!(
        discovery.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );

    let other = server
        .http
        .get(server.url("/.well-known/oauth-authorization-server"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("get");
    assert_eq!(other.status(), 403);
    assert!(other.headers().get("access-control-allow-origin").is_none());

    let mcp = server
        .http
        .post(server.url("/mcp"))
        .header("origin", "https://app.example.com")
        .body("{}")
        .send()
        .await
        .expect("post");
    assert_eq!(
        mcp.status(),
        403,
        "the CORS list opens the public endpoints only"
    );

    let off = start(json!({"cors": {"enabled": false}})).await;
    let plain = off
        .http
        .get(off.url("/.well-known/jwks.json"))
        .header("origin", "http://localhost:5173")
        .send()
        .await
        .expect("get");
    assert_eq!(plain.status(), 200);
    assert!(plain.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn head_requests_count_against_the_limits_and_sign_nobody_in() {
    let server = start(limits("authorize", 3, 60)).await;
    server.clock.advance(60 - server.clock.now() % 60);
    let client_id = server.public_client().await;
    let query = form(&[
        ("response_type", "code"),
        ("client_id", &client_id),
        ("redirect_uri", common::local::REDIRECT),
        ("code_challenge", common::local::CHALLENGE),
        ("code_challenge_method", "S256"),
        ("state", "state-123"),
    ]);
    let http = reqwest::Client::new();
    let head = |path: String| {
        let http = http.clone();
        async move {
            http.head(path)
                .send()
                .await
                .expect("head")
                .status()
                .as_u16()
        }
    };
    for path in ["/oauth/callback", "/oauth/consent"] {
        assert_eq!(head(server.url(path)).await, 405, "{path}");
    }
    let authorize = server.url(&format!("/oauth/authorize?{query}"));
    for _ in 0..3 {
        assert_eq!(
            head(authorize.clone()).await,
            405,
            "no login page, no pending authorization"
        );
    }
    assert_eq!(head(authorize).await, 429, "HEAD counts as GET");
    assert_eq!(
        server.authorize(&client_id, &[]).await.status,
        429,
        "and a GET in the same window is over the limit"
    );
    let discovery = http
        .head(server.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .expect("head");
    assert_eq!(discovery.status(), 200, "documents still answer HEAD");
}

#[tokio::test]
async fn a_forwarded_host_must_be_an_allowed_host_before_it_reaches_the_issuer() {
    let definition = definition(
        json!({}),
        json!({}),
        json!({
            "trusted_proxies": ["127.0.0.1"],
            "allowed_hosts": ["127.0.0.1", "mcp.example.com"],
        }),
    );
    let server = Local::start_definition(&definition, &[]).await;
    let metadata = |forwarded: &'static str| {
        server
            .http
            .get(server.url("/.well-known/oauth-authorization-server"))
            .header("x-forwarded-host", forwarded)
            .header("x-forwarded-proto", "https")
            .send()
    };
    let good = metadata("mcp.example.com").await.expect("metadata");
    assert_eq!(good.status(), 200);
    let document: Value = good.json().await.expect("json");
    assert_eq!(document["issuer"], "https://mcp.example.com");
    let evil = metadata("evil.example").await.expect("metadata");
    assert_eq!(evil.status(), 403, "a forwarded host outside allowed_hosts");
    let text = evil.text().await.unwrap_or_default();
    assert!(!text.contains("evil.example"), "{text}");
    let listed = metadata("evil.example, mcp.example.com")
        .await
        .expect("metadata");
    assert_eq!(
        listed.status(),
        403,
        "the first (client-facing) value counts"
    );
}

#[tokio::test]
async fn the_mcp_endpoint_is_limited_per_address_and_per_subject_in_transparent_mode() {
    use common::mcp::{Client, static_verifier};
    let member = |subject: &str| frontmcp_auth::AuthContext {
        subject: subject.into(),
        anonymous: false,
        scopes: Vec::new(),
        claims: Default::default(),
        client_id: Some("cli".into()),
        session_id: None,
        expires_at: None,
        upstream: None,
    };
    let tokens: Vec<(String, frontmcp_auth::AuthContext)> = ["a", "b", "c", "d", "e", "f"]
        .iter()
        .map(|s| (format!("token-{s}"), member(s)))
        .collect();
    let definition = frontmcp_auth::ServerDefinition::new("Transparent")
        .with_base(json!({
            "auth": {"mode": "transparent", "provider": "https://idp.example.com",
                     "expected_audience": "http://127.0.0.1/mcp"},
            "security": {"rate_limits": {"enabled": true, "mcp": {"limit": 3, "window": 60}}},
            "http": {"trusted_proxies": ["127.0.0.1"]},
        }))
        .app::<common::apps::MathApp>("math")
        .verifier(static_verifier(tokens));
    let server = common::mcp::start(
        &definition,
        &[],
        frontmcp_auth::http::RouterOptions::default(),
    )
    .await;
    // One POST each: `initialize` without the notification that follows it.
    let from = |token: &str, ip: &str| {
        let mut client = Client::new(server.url("/mcp"))
            .with_token(token)
            .with_header("x-forwarded-for", ip);
        async move {
            client
                .request(
                    "initialize",
                    json!({"protocolVersion": "2025-06-18", "capabilities": {},
                           "clientInfo": {"name": "limits", "version": "0"}}),
                )
                .await
        }
    };
    // One subject spread over four addresses: the fourth request is one too many.
    for ip in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        assert_eq!(from("token-a", ip).await.status, 200);
    }
    let spread = from("token-a", "203.0.113.4").await;
    assert_eq!(spread.status, 429, "per subject");
    assert!(spread.header("retry-after").is_some());
    assert_eq!(from("token-b", "203.0.113.5").await.status, 200);
    // Four subjects from one address: the fourth request is one too many.
    for token in ["token-c", "token-d", "token-e"] {
        assert_eq!(from(token, "198.51.100.7").await.status, 200);
    }
    assert_eq!(
        from("token-f", "198.51.100.7").await.status,
        429,
        "per address"
    );
}

#[tokio::test]
async fn userinfo_is_limited_per_address_and_per_subject() {
    let server = start(limits("userinfo", 2, 60)).await;
    for _ in 0..2 {
        assert_eq!(server.get("/oauth/userinfo").await.status, 401);
    }
    assert_eq!(server.get("/oauth/userinfo").await.status, 429);
    // One subject spread over addresses: the third request is one too many.
    let proxied = Local::start_definition(
        &definition(
            json!({}),
            limits("userinfo", 2, 60),
            json!({"trusted_proxies": ["127.0.0.1"]}),
        ),
        &[],
    )
    .await;
    let (_, tokens) = proxied.tokens().await;
    let access = tokens["access_token"].as_str().expect("access");
    let from = |ip: &'static str| {
        proxied
            .http
            .get(proxied.url("/oauth/userinfo"))
            .bearer_auth(access)
            .header("x-forwarded-for", ip)
            .send()
    };
    assert_eq!(from("203.0.113.1").await.expect("get").status(), 200);
    assert_eq!(from("203.0.113.2").await.expect("get").status(), 200);
    assert_eq!(
        from("203.0.113.3").await.expect("get").status(),
        429,
        "per subject"
    );
}
