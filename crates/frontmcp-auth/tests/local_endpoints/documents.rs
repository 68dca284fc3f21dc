//! Client ID metadata documents: fetched, guarded and cached.

use super::*;

/// Serves `/client.json` (the document `make(url)` returns, with `cache_control`) and
/// `/big.json` on loopback; counts fetches.
async fn document_host(
    cache_control: &'static str,
) -> (
    String,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
    tokio::sync::oneshot::Sender<()>,
) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let fetches = Arc::new(AtomicUsize::new(0));
    let counter = fetches.clone();
    let id = format!("{base}/client.json");
    let big_id = format!("{base}/big.json");
    let router = axum::Router::new()
        .route(
            "/client.json",
            axum::routing::get(move || {
                counter.fetch_add(1, Ordering::SeqCst);
                let body = json!({"client_id": id, "client_name": "Metadata Client", "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"});
                async move { ([("cache-control", cache_control)], axum::Json(body)) }
            }),
        )
        .route(
            "/big.json",
            axum::routing::get(move || {
                let body = json!({"client_id": big_id, "redirect_uris": [REDIRECT], "padding": "x".repeat(10_000)});
                async move { axum::Json(body) }
            }),
        );
    let tx = common::serve_until_dropped(listener, router);
    (base, fetches, tx)
}

#[tokio::test]
async fn client_id_metadata_documents_are_fetched_guarded_and_cached() {
    use std::sync::atomic::Ordering;
    let (host, fetches, _stop) = document_host("max-age=600").await;
    let client_id = format!("{host}/client.json");

    let guarded = Local::start(json!({})).await;
    let refused = guarded.authorize(&client_id, &[]).await;
    assert_eq!(
        refused.status, 400,
        "http and loopback targets are refused by default"
    );
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        0,
        "refused before any fetch"
    );

    let server = Local::start(json!({"cimd": {"allow_private_targets": true}})).await;
    let page = server.authorize(&client_id, &[]).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("Metadata Client"));
    let code = server
        .login(&page, "ada@example.com")
        .await
        .location_param("code")
        .expect("code");
    assert_eq!(
        server.exchange(&client_id, &code, VERIFIER).await.status,
        200
    );
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        1,
        "the token endpoint used the cached document"
    );

    let unlisted = server
        .authorize(
            &client_id,
            &[("redirect_uri", "http://127.0.0.1:7777/elsewhere")],
        )
        .await;
    assert_eq!(
        unlisted.status, 400,
        "the redirect URI must be listed in the document"
    );
    let big = server.authorize(&format!("{host}/big.json"), &[]).await;
    assert_eq!(big.status, 400);
    assert!(big.text.contains("larger than"), "{}", big.text);
    let missing = server.authorize(&format!("{host}/missing.json"), &[]).await;
    assert_eq!(missing.status, 400);

    let (uncached_host, uncached_fetches, _stop2) = document_host("no-store").await;
    let uncached_id = format!("{uncached_host}/client.json");
    for _ in 0..2 {
        assert_eq!(server.authorize(&uncached_id, &[]).await.status, 200);
    }
    assert_eq!(
        uncached_fetches.load(Ordering::SeqCst),
        2,
        "no-store documents are fetched each time"
    );
}
