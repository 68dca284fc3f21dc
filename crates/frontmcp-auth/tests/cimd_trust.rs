//! Client ID Metadata Documents are a form of open registration: a document's redirect URIs are
//! held to the registration allowlist (loopback only by default), errors before the user acts
//! are pages (the browser goes nowhere), the pages name the document's host, one fetch serves
//! concurrent requests, a refused document is remembered briefly, and the token endpoint never
//! fetches.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use common::local::{Local, REDIRECT, form};
use serde_json::json;

/// A document host on loopback counting fetches per path: `/client.json` (loopback redirect),
/// `/hostile.json` (a redirect URI elsewhere), `/missing.json` (404).
struct Documents {
    base: String,
    fetches: Arc<Mutex<HashMap<String, usize>>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Documents {
    async fn start() -> Documents {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let fetches: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let counted = fetches.clone();
        let origin = base.clone();
        let router = axum::Router::new().fallback(move |uri: axum::http::Uri| {
            let path = uri.path().to_owned();
            *counted
                .lock()
                .expect("counts")
                .entry(path.clone())
                .or_default() += 1;
            let id = format!("{origin}{path}");
            async move {
                // Slow enough that concurrent requests overlap.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                let redirect = match path.as_str() {
                    "/client.json" => REDIRECT,
                    "/hostile.json" => "https://evil.example/cb",
                    _ => return (axum::http::StatusCode::NOT_FOUND, String::new()),
                };
                let body = json!({"client_id": id, "client_name": "Totally Trustworthy",
                                  "redirect_uris": [redirect], "token_endpoint_auth_method": "none"});
                (axum::http::StatusCode::OK, body.to_string())
            }
        });
        let tx = common::serve_until_dropped(listener, router);
        Documents {
            base,
            fetches,
            _stop: tx,
        }
    }

    fn id(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn count(&self, path: &str) -> usize {
        self.fetches
            .lock()
            .expect("counts")
            .get(path)
            .copied()
            .unwrap_or_default()
    }
}

async fn server() -> Local {
    Local::start(json!({"cimd": {"allow_private_targets": true}})).await
}

#[tokio::test]
async fn a_hostile_document_cannot_send_the_browser_anywhere_before_the_user_acts() {
    let documents = Documents::start().await;
    let local = server().await;
    let hostile = documents.id("/hostile.json");
    let refused = local
        .authorize(&hostile, &[("redirect_uri", "https://evil.example/cb")])
        .await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    assert!(refused.header("location").is_none());
    assert!(
        refused.text.contains("only loopback redirect URIs"),
        "{}",
        refused.text
    );
    // A valid document, a broken request: a page, never a redirect.
    let client = documents.id("/client.json");
    let broken = local
        .authorize(&client, &[("response_type", "token")])
        .await;
    assert_eq!(broken.status, 400, "{}", broken.text);
    assert!(broken.header("location").is_none());
    assert!(broken.text.contains("unsupported_response_type"));
    // The login page names the document's host beside the name it claims.
    let page = local.authorize(&client, &[]).await;
    assert_eq!(page.status, 200, "{}", page.text);
    let host = documents.base.trim_start_matches("http://");
    assert!(
        page.text.contains(&format!(
            "<strong>Totally Trustworthy</strong> from <strong class=\"client-host\">{host}</strong>"
        )),
        "{}",
        page.text
    );
}

#[tokio::test]
async fn one_fetch_serves_concurrent_requests_and_a_refusal_is_remembered() {
    let documents = Documents::start().await;
    let local = server().await;
    let client = documents.id("/client.json");
    let pages = futures::future::join_all((0..8).map(|_| local.authorize(&client, &[]))).await;
    for page in &pages {
        assert_eq!(page.status, 200, "{}", page.text);
    }
    assert_eq!(documents.count("/client.json"), 1, "one fetch for eight");
    let missing = documents.id("/missing.json");
    for _ in 0..3 {
        let page = local.authorize(&missing, &[]).await;
        assert_eq!(page.status, 400, "{}", page.text);
        assert!(page.text.contains("HTTP 404"), "{}", page.text);
    }
    assert_eq!(
        documents.count("/missing.json"),
        1,
        "the refusal is remembered"
    );
    local.clock.advance(31);
    let _ = local.authorize(&missing, &[]).await;
    assert_eq!(
        documents.count("/missing.json"),
        2,
        "and asked again after a while"
    );
}

#[tokio::test]
async fn the_token_revoke_and_introspect_endpoints_never_fetch_a_document() {
    let documents = Documents::start().await;
    let local = server().await;
    let client = documents.id("/client.json");
    for (path, body) in [
        (
            "/oauth/token",
            form(&[
                ("grant_type", "authorization_code"),
                ("code", "made-up"),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &"v".repeat(43)),
                ("client_id", &client),
            ]),
        ),
        (
            "/oauth/revoke",
            form(&[("token", "made-up"), ("client_id", &client)]),
        ),
        (
            "/oauth/introspect",
            form(&[("token", "made-up"), ("client_id", &client)]),
        ),
    ] {
        let reply = local.post_form(path, body, &[]).await;
        assert!(reply.status < 500, "{path}: {}", reply.text);
    }
    assert_eq!(documents.count("/client.json"), 0);
}

#[tokio::test]
async fn metadata_documents_are_off_under_production_without_allowed_hosts() {
    let production = |cimd: serde_json::Value| {
        common::local::definition_with(
            json!({"cimd": cimd, "login": {"authenticator": "password"},
                   "dcr": {"enabled": false}}),
            json!({
                "security": {"profile": "production", "single_instance": true},
                "http": {"public_url": "http://127.0.0.1"},
            }),
        )
    };
    let off = Local::start_definition(&production(json!({})), &[]).await;
    let metadata = off
        .get("/.well-known/oauth-authorization-server")
        .await
        .json();
    assert_eq!(metadata["client_id_metadata_document_supported"], false);
    let on = Local::start_definition(
        &production(json!({"allowed_hosts": ["clients.example.com"]})),
        &[],
    )
    .await;
    let metadata = on
        .get("/.well-known/oauth-authorization-server")
        .await
        .json();
    assert_eq!(metadata["client_id_metadata_document_supported"], true);
    let page = on
        .authorize("https://elsewhere.example.net/client.json", &[])
        .await;
    assert_eq!(page.status, 400);
    assert!(
        page.text.contains("not in cimd.allowed_hosts"),
        "{}",
        page.text
    );
}
