//! How the MCP clients people use register and authorize, replayed against the server: hosted
//! callbacks allowed through the `known-clients` preset, a registration that names the refused
//! redirect URI, a metadata document listing a portless loopback callback, a client that asks
//! for no scope or for every advertised one.

mod common;

use common::local::{Local, claims_of, form};
use serde_json::{Value, json};

async fn register(local: &Local, redirect_uris: &[&str]) -> (u16, Value) {
    let reply = local
        .register(json!({
            "client_name": "profile",
            "redirect_uris": redirect_uris,
            "token_endpoint_auth_method": "none",
        }))
        .await;
    (reply.status, reply.json())
}

#[tokio::test]
async fn known_clients_allows_the_hosted_callbacks_and_loopback_and_nothing_else() {
    let local = Local::start(json!({"dcr": {"allowed_redirect_uris": ["known-clients"]}})).await;
    for uri in [
        "https://claude.ai/api/mcp/auth_callback",
        "https://claude.com/api/mcp/auth_callback",
        "https://chatgpt.com/connector/oauth/abc123",
        "https://www.cursor.com/agents/mcp/oauth/callback",
        "cursor://anysphere.cursor-mcp/oauth/callback",
        "https://vscode.dev/redirect",
        "https://insiders.vscode.dev/redirect",
        "http://127.0.0.1:33418/callback",
        "http://localhost:6274/oauth/callback",
    ] {
        let (status, body) = register(&local, &[uri]).await;
        assert_eq!(status, 201, "{uri}: {body}");
    }
    for uri in [
        "https://evil.example/api/mcp/auth_callback",
        "https://chatgpt.com/connector/oauth/a/b",
        "https://claude.ai.evil.example/api/mcp/auth_callback",
    ] {
        let (status, body) = register(&local, &[uri]).await;
        assert_eq!(status, 400, "{uri}: {body}");
    }
}

#[tokio::test]
async fn a_registration_with_one_refused_redirect_uri_is_refused_naming_it() {
    let local = Local::start(json!({})).await;
    let (status, body) = register(
        &local,
        &[
            "http://127.0.0.1:7777/callback",
            "https://app.example.com/callback",
        ],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_redirect_uri");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap_or_default()
            .starts_with("https://app.example.com/callback:"),
        "{body}"
    );
}

/// The claims of a token for `scope` (empty: the request names none).
async fn token_for(local: &Local, client_id: &str, scope: &str) -> Value {
    let page = local.authorize(client_id, &[("scope", scope)]).await;
    let done = local.login(&page, "ada@example.com").await;
    let code = done.location_param("code").expect("code");
    let reply = local
        .exchange(client_id, &code, common::local::VERIFIER)
        .await;
    claims_of(reply.json()["access_token"].as_str().expect("access"))
}

#[tokio::test]
async fn a_client_asking_for_no_scope_gets_the_baseline_and_every_advertised_scope_is_granted() {
    let local = Local::start(json!({"scopes_supported": ["notes:read"]})).await;
    let client_id = local.public_client().await;
    assert_eq!(
        token_for(&local, &client_id, "").await["scope"],
        "profile email notes:read",
        "the baseline of the 401 challenge"
    );
    let metadata = local
        .get("/.well-known/oauth-authorization-server")
        .await
        .json();
    let everything: Vec<&str> = metadata["scopes_supported"]
        .as_array()
        .expect("scopes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    // Extra spaces between the scopes are tolerated.
    let granted = token_for(&local, &client_id, &format!(" {} ", everything.join("  "))).await;
    assert_eq!(granted["scope"], everything.join(" "));
}

#[tokio::test]
async fn a_metadata_document_with_a_portless_loopback_callback_takes_any_port() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let id = format!("{base}/client.json");
    let document = json!({"client_id": id, "client_name": "Desktop",
                          "redirect_uris": ["http://localhost/callback"],
                          "token_endpoint_auth_method": "none"});
    let router = axum::Router::new().route(
        "/client.json",
        axum::routing::get(move || {
            let document = document.clone();
            async move { axum::Json(document) }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let local = Local::start(json!({"cimd": {"allow_private_targets": true}})).await;
    let page = local
        .get(&format!(
            "/oauth/authorize?{}",
            form(&[
                ("response_type", "code"),
                ("client_id", &id),
                ("redirect_uri", "http://localhost:53124/callback"),
                ("code_challenge", common::local::CHALLENGE),
                ("code_challenge_method", "S256"),
                ("state", "desktop-state"),
            ])
        ))
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
}

#[tokio::test]
async fn a_browser_client_gets_cors_on_metadata_registration_and_token_never_on_authorize() {
    // MCP Inspector runs in the browser at http://localhost:6274.
    let inspector = "http://localhost:6274";
    let local = Local::start_definition(
        &common::local::definition_with(
            json!({}),
            json!({"security": {"cors": {"allowed_origins": [inspector]}},
                   "http": {"allowed_origins": [inspector, "http://127.0.0.1:*"]}}),
        ),
        &[],
    )
    .await;
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/oauth-protected-resource/mcp",
        "/oauth/register",
        "/oauth/token",
    ] {
        let preflight = local
            .http
            .request(reqwest::Method::OPTIONS, local.url(path))
            .header("origin", inspector)
            .header("access-control-request-method", "POST")
            .send()
            .await
            .expect("preflight");
        assert_eq!(
            preflight
                .headers()
                .get("access-control-allow-origin")
                .and_then(|v| v.to_str().ok()),
            Some(inspector),
            "{path}"
        );
    }
    let client_id = local.public_client().await;
    let authorize = local
        .http
        .get(local.url(&format!(
            "/oauth/authorize?{}",
            form(&[
                ("response_type", "code"),
                ("client_id", &client_id),
                ("redirect_uri", common::local::REDIRECT),
                ("code_challenge", common::local::CHALLENGE),
                ("code_challenge_method", "S256"),
            ])
        )))
        .header("origin", inspector)
        .send()
        .await
        .expect("authorize");
    assert!(
        authorize
            .headers()
            .get("access-control-allow-origin")
            .is_none(),
        "the sign-in pages are never readable cross-origin"
    );
}

#[tokio::test]
async fn a_client_registering_again_at_every_start_keeps_working() {
    let local = Local::start(json!({})).await;
    let mut ids = std::collections::BTreeSet::new();
    for _ in 0..30 {
        let (status, body) = register(&local, &["http://127.0.0.1:7777/callback"]).await;
        assert_eq!(status, 201, "{body}");
        ids.insert(body["client_id"].as_str().expect("id").to_owned());
    }
    assert_eq!(ids.len(), 30, "a new client each time");
    let last = ids.iter().next_back().expect("one").clone();
    assert_eq!(
        token_for(&local, &last, "profile").await["client_id"],
        last.as_str()
    );
}

/// Serves `documents` (path, body) on loopback; the base URL and the server's guard.
async fn serve_documents(
    documents: Vec<(&'static str, Value)>,
) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let mut router = axum::Router::new();
    for (path, body) in documents {
        let body = serde_json::to_string(&body)
            .expect("json")
            .replace("{base}", &base);
        router = router.route(
            path,
            axum::routing::get(move || {
                let body = body.clone();
                async move { ([("content-type", "application/json")], body) }
            }),
        );
    }
    let stop = common::serve_until_dropped(listener, router);
    (base, stop)
}

#[tokio::test]
async fn metadata_documents_authenticate_with_private_key_jwt_or_negotiate_none() {
    use frontmcp_auth::token::{KeyKind, SigningKey};
    let key = SigningKey::generate(KeyKind::Es256).expect("key").0;
    let jwks = json!({"keys": [key.public_jwk().expect("public")]});
    let (base, _stop) = serve_documents(vec![
        (
            "/inline.json",
            json!({"client_id": "{base}/inline.json", "redirect_uris": [common::local::REDIRECT],
                   "token_endpoint_auth_method": "private_key_jwt", "jwks": jwks}),
        ),
        (
            "/remote.json",
            json!({"client_id": "{base}/remote.json", "redirect_uris": [common::local::REDIRECT],
                   "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "{base}/jwks"}),
        ),
        ("/jwks", jwks.clone()),
        (
            "/negotiated.json",
            json!({"client_id": "{base}/negotiated.json", "redirect_uris": [common::local::REDIRECT],
                   "token_endpoint_auth_method": "client_secret_basic",
                   "token_endpoint_auth_methods_supported": ["client_secret_basic", "none"]}),
        ),
    ])
    .await;
    let local = Local::start(json!({"cimd": {"allow_private_targets": true}})).await;
    let metadata = local
        .get("/.well-known/oauth-authorization-server")
        .await
        .json();
    assert!(
        metadata["token_endpoint_auth_methods_supported"]
            .as_array()
            .expect("methods")
            .contains(&json!("private_key_jwt"))
    );
    let code_of = |client_id: String| {
        let local = &local;
        async move {
            let page = local.authorize(&client_id, &[]).await;
            assert_eq!(page.status, 200, "{}", page.text);
            let done = local.login(&page, "ada@example.com").await;
            done.location_param("code").expect("code")
        }
    };
    for document in ["inline", "remote"] {
        let client_id = format!("{base}/{document}.json");
        // Without an assertion the code is refused: this client authenticates.
        let code = code_of(client_id.clone()).await;
        let bare = local
            .exchange(&client_id, &code, common::local::VERIFIER)
            .await;
        assert_eq!(
            bare.json()["error"],
            "invalid_client",
            "{document}: {}",
            bare.text
        );
        // With one, for our token endpoint.
        let code = code_of(client_id.clone()).await;
        let now = local.clock.now();
        let mut claims = serde_json::Map::new();
        for (name, value) in [
            ("iss", json!(client_id)),
            ("sub", json!(client_id)),
            ("aud", json!(local.url("/oauth/token"))),
            ("jti", json!(format!("{document}-1"))),
            ("iat", json!(now)),
            ("exp", json!(now + 60)),
        ] {
            claims.insert(name.into(), value);
        }
        let assertion = key.sign_jwt(None, &claims).expect("sign");
        let reply = local
            .post_form(
                "/oauth/token",
                form(&[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", common::local::REDIRECT),
                    ("code_verifier", common::local::VERIFIER),
                    ("client_id", &client_id),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", &assertion),
                ]),
                &[],
            )
            .await;
        assert_eq!(reply.status, 200, "{document}: {}", reply.text);
    }
    // A document asking for a method this server does not take, but offering `none`: public.
    let negotiated = format!("{base}/negotiated.json");
    let code = code_of(negotiated.clone()).await;
    let reply = local
        .exchange(&negotiated, &code, common::local::VERIFIER)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}
