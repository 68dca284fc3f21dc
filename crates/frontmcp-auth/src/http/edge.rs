//! The layers every answer passes, folded into one middleware: security headers (outermost, so
//! that every answer carries them, refusals included), the host and origin policy, hardening
//! (request timeout, rate limits, body limits, the audit scope), then CORS. One layer instead of
//! four: a request pays one service clone and one boxed future for all of them.

use std::sync::Arc;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

use super::cors::Cors;
use super::hardening::Hardening;
use super::headers::SecurityHeaders;
use super::origin::HostPolicy;

/// The four layers, in the order a request meets them.
pub(crate) struct Edge {
    pub(crate) headers: SecurityHeaders,
    pub(crate) policy: HostPolicy,
    pub(crate) hardening: Hardening,
    pub(crate) cors: Cors,
}

impl Edge {
    /// The middleware (`axum::middleware::from_fn`).
    pub(crate) async fn middleware(edge: Arc<Edge>, request: Request, next: Next) -> Response {
        let edge = &*edge;
        edge.headers
            .around(request, |request| {
                edge.policy.around(request, |request| {
                    edge.hardening.around(request, |request| {
                        edge.cors.around(request, |request| next.run(request))
                    })
                })
            })
            .await
    }
}
