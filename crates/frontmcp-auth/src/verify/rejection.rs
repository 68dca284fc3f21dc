//! Why a bearer token was refused (RFC 6750 with RFC 9728's `resource_metadata`): each rejection
//! knows its status and its `WWW-Authenticate` challenge. The HTTP response is built in
//! [`crate::guard`].

use http::StatusCode;

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
}
