//! Probes for a load balancer or an orchestrator: `/healthz` (the process serves HTTP: always
//! 200) and `/readyz` (it can serve requests: 200 when every token storage it uses answers a
//! ping within its bound, else 503 naming none of its addresses). Neither needs a token; neither
//! says more than `ok` or `unavailable`.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::store::Store;

/// Adds `/healthz` and `/readyz` to `router`.
pub(super) fn routes(router: Router, stores: Vec<Arc<dyn Store>>) -> Router {
    let stores = Arc::new(stores);
    router
        .route("/healthz", get(|| async { status(true) }))
        .route(
            "/readyz",
            get(move || {
                let stores = stores.clone();
                async move {
                    for store in stores.iter() {
                        if let Err(error) = store.ping().await {
                            tracing::warn!(target: "frontmcp_auth::http", "not ready: {error}");
                            return status(false);
                        }
                    }
                    status(true)
                }
            }),
        )
}

fn status(ready: bool) -> axum::response::Response {
    let (code, body) = if ready {
        (StatusCode::OK, r#"{"status":"ok"}"#)
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"status":"unavailable"}"#,
        )
    };
    (
        code,
        [
            (axum::http::header::CONTENT_TYPE, "application/json"),
            (axum::http::header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}
