//! Bearer rejections as HTTP responses: status, `WWW-Authenticate` challenge, `Retry-After` and
//! a small JSON body.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, header};

use crate::verify::Rejection;

impl Rejection {
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
    use http::StatusCode;

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
