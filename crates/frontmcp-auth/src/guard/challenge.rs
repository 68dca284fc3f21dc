//! Bearer rejections (RFC 6750 with RFC 9728's `resource_metadata`), each knowing its status
//! and `WWW-Authenticate` header.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

/// Why the guard refused a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// No credentials: 401 with a bare `Bearer resource_metadata="..."` challenge.
    MissingToken,
    /// A bad, expired or foreign token: 401 `error="invalid_token"`.
    InvalidToken {
        /// What was wrong, for the client (never the token itself).
        description: String,
    },
    /// A malformed `Authorization` header: 400 `error="invalid_request"`.
    InvalidRequest {
        /// What was wrong.
        description: String,
    },
    /// Valid token, missing scopes: 403 `error="insufficient_scope"`.
    InsufficientScope {
        /// The scopes needed.
        scopes: Vec<String>,
    },
    /// Too many requests from this client: 429 with `Retry-After`.
    RateLimited {
        /// Seconds until the window resets.
        retry_after: u64,
    },
    /// A `Host` or `Origin` this server does not answer for: 403.
    ForbiddenOrigin {
        /// What was refused.
        description: String,
    },
    /// Token state cannot be checked because storage is down: 503 with `Retry-After`.
    Unavailable,
}

/// Quotes a value for an auth-param: backslash-escapes `"` and `\`, drops control characters.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for ch in value.chars() {
        match ch {
            '"' | '\\' => {
                out.push('\\');
                out.push(ch);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Rejection {
    /// The HTTP status of this rejection.
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::MissingToken | Rejection::InvalidToken { .. } => StatusCode::UNAUTHORIZED,
            Rejection::InvalidRequest { .. } => StatusCode::BAD_REQUEST,
            Rejection::InsufficientScope { .. } | Rejection::ForbiddenOrigin { .. } => {
                StatusCode::FORBIDDEN
            }
            Rejection::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Rejection::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// A short name for metrics: `missing_token`, `invalid_token`, ...
    pub fn reason(&self) -> &'static str {
        match self {
            Rejection::MissingToken => "missing_token",
            Rejection::InvalidToken { .. } => "invalid_token",
            Rejection::InvalidRequest { .. } => "invalid_request",
            Rejection::InsufficientScope { .. } => "insufficient_scope",
            Rejection::RateLimited { .. } => "rate_limited",
            Rejection::ForbiddenOrigin { .. } => "forbidden_origin",
            Rejection::Unavailable => "unavailable",
        }
    }

    /// The `WWW-Authenticate` value, pointing at `resource_metadata` (the RFC 9728 document).
    pub fn challenge(&self, resource_metadata: &str) -> Option<String> {
        self.challenge_with(resource_metadata, None)
    }

    /// As [`Self::challenge`], with the `scope` a client should ask for on the 401 of a
    /// request without a token.
    pub fn challenge_with(&self, resource_metadata: &str, scope: Option<&str>) -> Option<String> {
        let metadata = format!("resource_metadata={}", quote(resource_metadata));
        match self {
            Rejection::MissingToken => Some(match scope.filter(|s| !s.is_empty()) {
                Some(scope) => format!("Bearer {metadata}, scope={}", quote(scope)),
                None => format!("Bearer {metadata}"),
            }),
            Rejection::InvalidToken { description } => Some(format!(
                "Bearer error=\"invalid_token\", error_description={}, {metadata}",
                quote(description)
            )),
            Rejection::InvalidRequest { description } => Some(format!(
                "Bearer error=\"invalid_request\", error_description={}, {metadata}",
                quote(description)
            )),
            Rejection::InsufficientScope { scopes } => Some(format!(
                "Bearer error=\"insufficient_scope\", scope={}, {metadata}",
                quote(&scopes.join(" "))
            )),
            Rejection::RateLimited { .. }
            | Rejection::ForbiddenOrigin { .. }
            | Rejection::Unavailable => None,
        }
    }

    /// The response: status, challenge, `Retry-After`, and a small JSON body.
    pub fn into_response_with(self, resource_metadata: &str) -> Response {
        self.into_response_scoped(resource_metadata, None)
    }

    /// As [`Self::into_response_with`], with the baseline `scope` in the 401 challenge.
    pub fn into_response_scoped(self, resource_metadata: &str, scope: Option<&str>) -> Response {
        let status = self.status();
        let challenge = self.challenge_with(resource_metadata, scope);
        let (error, description) = match &self {
            Rejection::MissingToken => ("unauthorized", String::from("a bearer token is required")),
            Rejection::InvalidToken { description } => ("invalid_token", description.clone()),
            Rejection::InvalidRequest { description } => ("invalid_request", description.clone()),
            Rejection::InsufficientScope { scopes } => (
                "insufficient_scope",
                format!("needs scope: {}", scopes.join(" ")),
            ),
            Rejection::RateLimited { retry_after } => (
                "rate_limited",
                format!("too many requests; retry in {retry_after} s"),
            ),
            Rejection::ForbiddenOrigin { description } => ("forbidden", description.clone()),
            Rejection::Unavailable => (
                "temporarily_unavailable",
                String::from("token storage is unavailable; retry later"),
            ),
        };
        let body = serde_json::json!({ "error": error, "error_description": description });
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(value) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        let retry_after = match self {
            Rejection::RateLimited { retry_after } => Some(retry_after),
            Rejection::Unavailable => Some(1),
            _ => None,
        };
        if let Some(retry_after) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const METADATA: &str = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp";

    #[test]
    fn missing_token_is_a_bare_challenge() {
        assert_eq!(
            Rejection::MissingToken.challenge(METADATA).as_deref(),
            Some(
                "Bearer resource_metadata=\"https://mcp.example.com/.well-known/oauth-protected-resource/mcp\""
            )
        );
    }

    #[test]
    fn header_values_are_escaped() {
        let rejection = Rejection::InvalidToken {
            description: "bad \"kid\" \\ here\r\nInjected: yes".into(),
        };
        let challenge = rejection.challenge(METADATA).expect("challenge");
        assert!(
            challenge.contains(r#"error_description="bad \"kid\" \\ hereInjected: yes""#),
            "{challenge}"
        );
        assert!(HeaderValue::from_str(&challenge).is_ok());
    }

    #[test]
    fn insufficient_scope_names_the_scopes() {
        let rejection = Rejection::InsufficientScope {
            scopes: vec!["mcp:read".into(), "mcp:write".into()],
        };
        assert_eq!(rejection.status(), StatusCode::FORBIDDEN);
        let challenge = rejection.challenge(METADATA).expect("challenge");
        assert!(
            challenge
                .starts_with("Bearer error=\"insufficient_scope\", scope=\"mcp:read mcp:write\""),
            "{challenge}"
        );
    }

    #[test]
    fn rate_limited_carries_retry_after() {
        let response = Rejection::RateLimited { retry_after: 17 }.into_response_with(METADATA);
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "17");
    }
}
