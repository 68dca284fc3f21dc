//! Security headers on every response: `X-Content-Type-Options: nosniff`,
//! `X-Frame-Options: DENY`, a `Referrer-Policy`, a `Permissions-Policy` that turns off powerful
//! browser features, and `Strict-Transport-Security` when the server is reached over HTTPS (its
//! public URL, or `X-Forwarded-Proto` from a trusted proxy). A header a handler set already
//! (the HTML pages' stricter ones) is kept.

use axum::extract::Request;
use axum::response::Response;
use http::{HeaderName, HeaderValue, header};

use super::client::{TrustedProxies, is_https};

/// One year, the usual HSTS lifetime.
const HSTS: &str = "max-age=31536000; includeSubDomains";
const PERMISSIONS: &str =
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()";

/// What the middleware needs to tell HTTPS from HTTP.
#[derive(Debug)]
pub struct SecurityHeaders {
    public_url: Option<String>,
    proxies: TrustedProxies,
}

impl SecurityHeaders {
    /// Headers for a server reached at `public_url` (or each request's own origin).
    pub fn new(public_url: Option<String>, proxies: TrustedProxies) -> Self {
        Self {
            public_url,
            proxies,
        }
    }

    /// The middleware: runs the request, then adds the headers.
    pub async fn around<F, Fut>(&self, request: Request, next: F) -> Response
    where
        F: FnOnce(Request) -> Fut,
        Fut: Future<Output = Response>,
    {
        let (parts, body) = request.into_parts();
        let https = is_https(&parts, self.public_url.as_deref(), &self.proxies);
        let mut response = next(Request::from_parts(parts, body)).await;
        let headers = response.headers_mut();
        let mut set = |name: HeaderName, value: &'static str| {
            if !headers.contains_key(&name) {
                headers.insert(name, HeaderValue::from_static(value));
            }
        };
        set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
        set(header::X_FRAME_OPTIONS, "DENY");
        set(header::REFERRER_POLICY, "no-referrer");
        set(HeaderName::from_static("permissions-policy"), PERMISSIONS);
        if https {
            set(header::STRICT_TRANSPORT_SECURITY, HSTS);
        }
        response
    }
}
