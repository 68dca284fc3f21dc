//! Per-request protections in front of every route: the audit context (client IP and user
//! agent), per-endpoint rate limits (429 + `Retry-After`), the request body limit (413) and the
//! request timeout (503 when no response has started in time).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, Method, StatusCode, header};
use serde_json::json;

use super::client::{TrustedProxies, client_ip};
use crate::audit::{self, RequestMeta};
use crate::clock::Clock;
use crate::rate_limit::SharedLimit;
use crate::store::Store;
use frontmcp_auth_config::{RateLimitsConfig, SecurityConfig};

/// One rate-limited endpoint: its paths and methods, and its limit per client IP.
struct LimitedEndpoint {
    paths: Vec<String>,
    methods: &'static [Method],
    limit: SharedLimit,
}

/// The endpoints of an authorization server under `entry`, with their configuration key.
fn endpoint_paths(entry: &str) -> Vec<(&'static str, Vec<String>, &'static [Method])> {
    vec![
        (
            "token",
            vec![format!("{entry}/oauth/token")],
            &[Method::POST],
        ),
        (
            "authorize",
            vec![format!("{entry}/oauth/authorize")],
            &[Method::GET],
        ),
        (
            "register",
            vec![format!("{entry}/oauth/register")],
            &[Method::POST],
        ),
        (
            "login",
            vec![
                format!("{entry}/oauth/callback"),
                format!("{entry}/oauth/consent"),
            ],
            &[Method::POST, Method::GET],
        ),
        (
            "revoke",
            vec![
                format!("{entry}/oauth/revoke"),
                format!("{entry}/oauth/introspect"),
            ],
            &[Method::POST],
        ),
        (
            "admin",
            vec![format!("{entry}/admin/sessions/revoke")],
            &[Method::POST],
        ),
        (
            "userinfo",
            vec![format!("{entry}/oauth/userinfo")],
            &[Method::GET, Method::POST],
        ),
    ]
}

/// What the middleware enforces.
pub struct Hardening {
    proxies: TrustedProxies,
    endpoints: Vec<LimitedEndpoint>,
    max_body_bytes: usize,
    timeout: Duration,
    clock: Clock,
}

impl std::fmt::Debug for Hardening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hardening")
            .field("endpoints", &self.endpoints.len())
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl Hardening {
    /// The protections of `security`, with client IPs read through `proxies`.
    pub fn new(security: &SecurityConfig, proxies: &[String], clock: Clock) -> Self {
        Self {
            proxies: TrustedProxies::new(proxies),
            endpoints: Vec::new(),
            max_body_bytes: usize::try_from(security.max_body_bytes).unwrap_or(usize::MAX),
            timeout: Duration::from_secs(security.request_timeout.max(1)),
            clock,
        }
    }

    /// Adds the rate limits of the authorization server under `entry` (when they are on),
    /// counted in `store` when it is shared between instances.
    pub fn limit_authorization_server(
        &mut self,
        security: &SecurityConfig,
        entry: &str,
        store: Arc<dyn Store>,
    ) {
        if !security.rate_limits_on() {
            return;
        }
        let limits: &RateLimitsConfig = &security.rate_limits;
        for (name, paths, methods) in endpoint_paths(entry) {
            let Some(limit) = limits.get(name) else {
                continue;
            };
            if limit.limit == 0 {
                continue;
            }
            self.endpoints.push(LimitedEndpoint {
                paths,
                methods,
                limit: SharedLimit::new(name, limit, Some(store.clone()), self.clock.clone()),
            });
        }
    }

    /// Adds the per-IP limit of the MCP endpoint at `path` (every mode), counted in `store`
    /// when there is one and it is shared between instances.
    pub fn limit_resource(
        &mut self,
        security: &SecurityConfig,
        path: &str,
        store: Option<Arc<dyn Store>>,
    ) {
        let limit = security.rate_limits.mcp;
        if !security.rate_limits_on() || limit.limit == 0 {
            return;
        }
        self.endpoints.push(LimitedEndpoint {
            paths: vec![path.to_owned()],
            methods: &[Method::POST, Method::GET, Method::DELETE],
            limit: SharedLimit::new("mcp", limit, store, self.clock.clone()),
        });
    }

    /// The middleware. The request timeout covers everything: the rate-limit check (which may
    /// ask Redis), reading a chunked body and the handler until its response starts.
    pub async fn around<F, Fut>(&self, request: Request, next: F) -> Response
    where
        F: FnOnce(Request) -> Fut,
        Fut: Future<Output = Response>,
    {
        let hardening = self;
        let (parts, body) = request.into_parts();
        let ip = client_ip(&parts, &hardening.proxies);
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok());
        let meta = RequestMeta::new(ip, user_agent);
        let timeout = hardening.timeout;
        let admitted = audit::scope(meta, hardening.admit(ip, parts, body, next));
        match tokio::time::timeout(timeout, admitted).await {
            Ok(response) => response,
            Err(_) => timed_out(timeout),
        }
    }

    /// The rate limit, then the body limit, then the handler.
    async fn admit<F, Fut>(
        &self,
        ip: Option<IpAddr>,
        parts: http::request::Parts,
        body: Body,
        next: F,
    ) -> Response
    where
        F: FnOnce(Request) -> Fut,
        Fut: Future<Output = Response>,
    {
        if let Some(ip) = ip
            && let Some(endpoint) = self.endpoint_of(&parts.method, parts.uri.path())
            && let Err(retry_after) = endpoint
                .limit
                .check(&crate::rate_limit::client_key(ip).to_string())
                .await
        {
            crate::metrics::count(crate::metrics::Counter::RateLimited, endpoint.limit.name);
            return too_many_requests(retry_after);
        }
        // A GET handler would answer HEAD too: the sign-in pages would store a pending
        // authorization (or sign someone in) for a request that shows nothing.
        if parts.method == Method::HEAD && parts.uri.path().contains("/oauth/") {
            return head_refused();
        }
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > self.max_body_bytes as u64) {
            return too_large(self.max_body_bytes);
        }
        let body = if carries_body(&parts.method) && declared.is_none() {
            // Chunked: read it here, so that no handler sees more than the limit.
            match axum::body::to_bytes(body, self.max_body_bytes).await {
                Ok(bytes) => Body::from(bytes),
                Err(_) => return too_large(self.max_body_bytes),
            }
        } else {
            body
        };
        next(Request::from_parts(parts, body)).await
    }

    fn endpoint_of(&self, method: &Method, path: &str) -> Option<&LimitedEndpoint> {
        self.endpoints.iter().find(|e| {
            // HEAD counts as the GET it stands for.
            let counted = e.methods.contains(method)
                || (*method == Method::HEAD && e.methods.contains(&Method::GET));
            counted && e.paths.iter().any(|p| p == path)
        })
    }
}

fn carries_body(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH)
}

fn json_error(status: StatusCode, error: &str, description: String) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

fn too_many_requests(retry_after: u64) -> Response {
    let mut response = json_error(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("too many requests from this address; retry after {retry_after} seconds"),
    );
    if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn too_large(max: usize) -> Response {
    json_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "invalid_request",
        format!("the request body is larger than {max} bytes"),
    )
}

fn timed_out(timeout: Duration) -> Response {
    let mut response = json_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
        format!(
            "no response within the request timeout of {} s",
            timeout.as_secs()
        ),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// 405 for HEAD on the authorization server's endpoints.
fn head_refused() -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [
            (header::ALLOW, "GET, POST"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        "HEAD is not served here",
    )
        .into_response()
}
