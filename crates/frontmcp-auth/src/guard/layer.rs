//! The tower layer and service that run the guard in front of a protected route.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use futures::future::BoxFuture;
use http::{Request, StatusCode, header};

use super::{AuthContext, Guard, Rejection, RpcTarget};
use crate::http::client::{base_url, client_ip};

/// Mounts a [`Guard`] on a route or router.
#[derive(Clone, Debug)]
pub struct AuthLayer {
    guard: Arc<Guard>,
}

impl AuthLayer {
    pub(crate) fn new(guard: Arc<Guard>) -> Self {
        Self { guard }
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            guard: self.guard.clone(),
        }
    }
}

/// The guard in front of an inner service.
#[derive(Clone, Debug)]
pub struct AuthService<S> {
    inner: S,
    guard: Arc<Guard>,
}

impl<S> tower::Service<Request<Body>> for AuthService<S>
where
    S: tower::Service<Request<Body>, Error = Infallible> + Clone + Send + 'static,
    S::Response: IntoResponse,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let guard = self.guard.clone();
        Box::pin(async move { Ok(guard.run(request, inner).await) })
    }
}

impl Guard {
    async fn run<S>(&self, request: Request<Body>, mut inner: S) -> Response
    where
        S: tower::Service<Request<Body>, Error = Infallible>,
        S::Response: IntoResponse,
    {
        let (mut parts, body) = request.into_parts();
        let base = base_url(&parts, self.public_url.as_deref(), &self.proxies);
        // Built only for a rejection: a served call never needs it.
        let metadata_url = || format!("{base}{}", self.metadata_path());
        if let Some(limiter) = &self.rate_limit
            && let Some(ip) = client_ip(&parts, &self.proxies)
            && let Err(retry_after) = limiter.check(crate::rate_limit::client_key(ip))
        {
            return Rejection::RateLimited { retry_after }
                .into_response_scoped(&metadata_url(), self.challenge_scope.as_deref());
        }
        let mut context = match self.authenticate(&parts, &base).await {
            Ok(context) => context,
            Err(rejection) => {
                crate::metrics::count(crate::metrics::Counter::AuthFailures, rejection.reason());
                return rejection
                    .into_response_scoped(&metadata_url(), self.challenge_scope.as_deref());
            }
        };
        // Per subject too: one user cannot spread a flood over many addresses.
        if let Some(limit) = &self.subject_limit
            && !context.anonymous
            && let Err(retry_after) = limit.check(&crate::secrets::digest(&context.subject)).await
        {
            crate::metrics::count(crate::metrics::Counter::RateLimited, limit.name);
            return Rejection::RateLimited { retry_after }
                .into_response_scoped(&metadata_url(), self.challenge_scope.as_deref());
        }
        let checks_targets = (context.anonymous && self.access.restricts_anonymous())
            || !self.tool_scopes.is_empty()
            || self.access.has_scopes();
        // The body is read here, whole and bounded, so that one cut short or too large gets
        // its 400 or 413 (the MCP service would answer 500).
        let bytes = match axum::body::to_bytes(body, self.max_body_bytes).await {
            Ok(bytes) => bytes,
            Err(error) => return unreadable(error),
        };
        if checks_targets {
            // Both what the MCP headers say and what the body does: a header naming one tool
            // cannot cover a body that calls another.
            let mut targets = RpcTarget::from_headers(&parts.headers).unwrap_or_default();
            targets.extend(RpcTarget::from_body(&bytes));
            let required = if self.tool_scopes.is_empty() {
                None
            } else {
                Some(self.tool_scopes.by_exposed_name().await)
            };
            if let Err(rejection) = self.access.check(&context, &targets, required) {
                crate::metrics::count(crate::metrics::Counter::AuthFailures, rejection.reason());
                return rejection
                    .into_response_scoped(&metadata_url(), self.challenge_scope.as_deref());
            }
        }
        // A header value shares the request's buffer: no copy.
        let request_session = parts.headers.get("mcp-session-id").cloned();
        let mut owner = super::McpSessionOwners::owner_of(&context);
        // A session answers only the caller that created it (and unknown ones nobody); a
        // resumed stream must be one of that session's. A session another instance created is
        // adopted from the shared record when the check fails here, then checked again.
        let (request_session, renew) = match request_session.as_ref().map(|v| v.to_str()) {
            Some(Ok(session)) => {
                let (mut owned, mut renew) = self.check_session(session, &owner);
                if !owned {
                    match self.adopt_shared(session).await {
                        Ok(true) => {
                            // An anonymous caller's subject is the adopted session's.
                            if let (true, Some(anonymous)) = (context.anonymous, &self.anonymous) {
                                context = anonymous.context(Some(session));
                                owner = super::McpSessionOwners::owner_of(&context);
                            }
                            (owned, renew) = self.check_session(session, &owner);
                        }
                        Ok(false) => {}
                        Err(rejection) => {
                            return rejection.into_response_scoped(
                                &metadata_url(),
                                self.challenge_scope.as_deref(),
                            );
                        }
                    }
                }
                if !owned || !resumes_own_stream(&parts, session) {
                    return session_not_found();
                }
                (Some(session), renew)
            }
            Some(Err(_)) => return session_not_found(),
            None => (None, false),
        };
        // Kept for the record of a session this request may create.
        let initialize_body =
            (self.shared.is_some() && request_session.is_none()).then(|| bytes.clone());
        let body = Body::from(bytes);
        let ends_session = parts.method == http::Method::DELETE;
        let anonymous = context.anonymous;
        let subject = anonymous.then(|| context.subject.clone());
        let anonymous_until = if anonymous { context.expires_at } else { None };
        parts.extensions.insert(context);
        let response =
            match tower::ServiceExt::oneshot(&mut inner, Request::from_parts(parts, body)).await {
                Ok(response) => response.into_response(),
                Err(never) => match never {},
            };
        match &request_session {
            Some(session) if ends_session && response.status().is_success() => {
                self.mcp_sessions.end(session);
            }
            Some(session) => self.keep_shared_alive(session, renew).await,
            None => {
                if let Some(session) = response
                    .headers()
                    .get("mcp-session-id")
                    .and_then(|v| v.to_str().ok())
                {
                    self.mcp_sessions.bind(session, &owner);
                    if let (Some(subject), Some(sessions)) = (&subject, &self.anonymous) {
                        sessions.bind(session, subject);
                    }
                    if let Some(body) = &initialize_body {
                        self.share_created(session, &owner, anonymous_until, body)
                            .await;
                    }
                }
            }
        }
        response
    }

    async fn authenticate(
        &self,
        parts: &http::request::Parts,
        base: &str,
    ) -> Result<AuthContext, Rejection> {
        let context = match bearer_token(parts)? {
            Some(token) => match &self.verifier {
                Some(verifier) => verifier.verify_at(token, base).await?,
                None => {
                    return Err(Rejection::InvalidToken {
                        description: String::from(
                            "this server verifies no bearer tokens; send the request without one",
                        ),
                    });
                }
            },
            None => match &self.anonymous {
                Some(sessions) => {
                    let session = parts
                        .headers
                        .get("mcp-session-id")
                        .and_then(|v| v.to_str().ok());
                    sessions.context(session)
                }
                None => return Err(Rejection::MissingToken),
            },
        };
        let missing = context.missing_scopes(&self.required_scopes);
        if !missing.is_empty() {
            if context.anonymous {
                return Err(Rejection::MissingToken);
            }
            return Err(Rejection::InsufficientScope {
                scopes: self.required_scopes.clone(),
            });
        }
        Ok(context)
    }
}

/// The bearer token of the `Authorization` header. Absent header: `None`. A header that is not
/// a single well-formed `Bearer <token>` is `invalid_request`.
fn bearer_token(parts: &http::request::Parts) -> Result<Option<&str>, Rejection> {
    let mut values = parts.headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(Rejection::InvalidRequest {
            description: String::from("more than one Authorization header"),
        });
    }
    let text = value.to_str().map_err(|_| Rejection::InvalidRequest {
        description: String::from("the Authorization header is not visible ASCII"),
    })?;
    let Some((scheme, token)) = text.split_once(' ') else {
        return Err(Rejection::InvalidRequest {
            description: String::from("expected `Authorization: Bearer <token>`"),
        });
    };
    let token = token.trim();
    // RFC 6750 `b64token`, checked byte by byte: this runs on every request.
    let token68 = |b: &u8| matches!(b, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=');
    if !scheme.eq_ignore_ascii_case("bearer")
        || token.is_empty()
        || !token.as_bytes().iter().all(token68)
    {
        return Err(Rejection::InvalidRequest {
            description: String::from("expected `Authorization: Bearer <token>`"),
        });
    }
    Ok(Some(token))
}

/// The answer for a body that could not be read: 413 past the limit, 400 when the client
/// sent less than it declared or broke its chunked encoding.
fn unreadable(error: axum::Error) -> Response {
    let too_large = error
        .into_inner()
        .downcast_ref::<http_body_util::LengthLimitError>()
        .is_some();
    let (status, description) = if too_large {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request body is too large",
        )
    } else {
        (
            StatusCode::BAD_REQUEST,
            "the request body could not be read whole",
        )
    };
    (
        status,
        axum::Json(serde_json::json!({
            "error": "invalid_request",
            "error_description": description,
        })),
    )
        .into_response()
}

/// Whether a `Last-Event-ID` (if any) names a stream of `session`.
fn resumes_own_stream(parts: &http::request::Parts, session: &str) -> bool {
    match parts.headers.get("last-event-id") {
        None => true,
        Some(value) => value
            .to_str()
            .ok()
            .is_some_and(|id| crate::http::event_ids::names_session(session, id)),
    }
}

/// The answer for a session that is not the caller's, or not known: MCP clients then start a
/// new session.
fn session_not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "session not found: start a new MCP session",
    )
        .into_response()
}
