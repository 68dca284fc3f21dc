//! CORS for browser-based MCP clients on the public endpoints: discovery documents, JWKS, and
//! the token, registration, revocation and userinfo endpoints. The `Origin` has already passed
//! the host policy ([`super::HostPolicy`]); here it is echoed back, and preflights are answered.

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::{HeaderValue, Method, StatusCode, header};

use frontmcp_auth_config::CorsConfig;

/// The endpoint names (path endings) that answer cross-origin requests.
const CORS_ENDINGS: &[&str] = &[
    "/oauth/token",
    "/oauth/register",
    "/oauth/revoke",
    "/oauth/userinfo",
];

/// Whether `path` is a CORS endpoint.
pub fn is_cors_path(path: &str) -> bool {
    path.contains("/.well-known/") || CORS_ENDINGS.iter().any(|end| path.ends_with(end))
}

/// The CORS settings.
#[derive(Debug, Clone)]
pub struct Cors {
    enabled: bool,
    max_age: HeaderValue,
}

impl Cors {
    /// From `security.cors`.
    pub fn new(config: &CorsConfig) -> Self {
        Self {
            enabled: config.enabled,
            max_age: HeaderValue::from_str(&config.max_age.to_string())
                .unwrap_or(HeaderValue::from_static("600")),
        }
    }

    /// The middleware.
    pub async fn around<F, Fut>(&self, request: Request, next: F) -> Response
    where
        F: FnOnce(Request) -> Fut,
        Fut: Future<Output = Response>,
    {
        let cors = self;
        let origin = request.headers().get(header::ORIGIN).cloned();
        let applies = cors.enabled && is_cors_path(request.uri().path());
        let Some(origin) = origin.filter(|_| applies) else {
            return next(request).await;
        };
        let preflight = request.method() == Method::OPTIONS
            && request
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
        let mut response = if preflight {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::NO_CONTENT;
            let headers = response.headers_mut();
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST, OPTIONS"),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("authorization, content-type, mcp-protocol-version"),
            );
            headers.insert(header::ACCESS_CONTROL_MAX_AGE, cors.max_age.clone());
            response
        } else {
            next(request).await
        };
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("www-authenticate, retry-after"),
        );
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_endpoints_are_cors_paths_and_pages_are_not() {
        assert!(is_cors_path("/.well-known/oauth-authorization-server"));
        assert!(is_cors_path("/api/.well-known/jwks.json"));
        assert!(is_cors_path("/api/oauth/token"));
        assert!(!is_cors_path("/oauth/authorize"));
        assert!(!is_cors_path("/oauth/callback"));
        assert!(!is_cors_path("/admin/sessions/revoke"));
        assert!(!is_cors_path("/mcp"));
    }
}
