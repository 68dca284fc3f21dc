//! The authorization server's routes: thin handlers that extract, call one
//! [`AuthorizationServer`] method and map its outcome to HTTP.

mod client_management;
mod pages;
mod passkey;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::request::Parts;
use http::{HeaderValue, Method, StatusCode, header};

use super::client::{TrustedProxies, base_url, client_ip};
use crate::guard::Rejection;
use crate::oauth::callback::parse_input;
use crate::oauth::flow::{csrf_cookie_name, upstream_cookie_name};
use crate::oauth::parse_consent;
use crate::oauth::{
    AdminError, AuthorizationServer, AuthorizeError, AuthorizeStep, BasicCredentials,
    CallbackOutcome, OAuthError, Params,
};
use crate::ui;
use pages::{cookie_value, form_and_cookie, found, outcome_response, too_large_page};

/// The largest request body an OAuth endpoint reads.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// What the handlers share.
#[derive(Clone)]
struct Endpoints {
    server: Arc<AuthorizationServer>,
    public_url: Option<String>,
    proxies: Arc<TrustedProxies>,
    pages: Arc<ui::Pages>,
}

impl Endpoints {
    fn base(&self, parts: &Parts) -> String {
        base_url(parts, self.public_url.as_deref(), &self.proxies)
    }
}

/// The routes of `server`: discovery, JWKS and the `/oauth/*` endpoints, under its entry path,
/// with its pages rendered by `pages`.
pub fn authorization_routes(
    server: Arc<AuthorizationServer>,
    public_url: Option<String>,
    proxies: &[String],
    pages: Arc<ui::Pages>,
) -> Router {
    let entry = server.entry_path.clone();
    let state = Endpoints {
        server,
        public_url,
        proxies: Arc::new(TrustedProxies::new(proxies)),
        pages,
    };
    let mut router = Router::new()
        .route(
            &format!("{entry}/.well-known/oauth-authorization-server"),
            get(metadata),
        )
        .route(
            &format!("{entry}/.well-known/openid-configuration"),
            get(metadata),
        )
        .route(&format!("{entry}/.well-known/jwks.json"), get(jwks))
        .route(&format!("{entry}/oauth/authorize"), get(authorize))
        .route(
            &format!("{entry}/oauth/callback"),
            get(callback).post(callback),
        )
        .route(
            &format!("{entry}/oauth/register"),
            axum::routing::post(register),
        )
        .route(
            &format!("{entry}/oauth/register/{{client_id}}"),
            get(client_management::manage)
                .put(client_management::manage)
                .delete(client_management::manage),
        )
        .route(
            &format!("{entry}/oauth/consent"),
            axum::routing::post(consent),
        )
        .route(&format!("{entry}/oauth/token"), axum::routing::post(token))
        .route(
            &format!("{entry}/oauth/revoke"),
            axum::routing::post(revoke),
        )
        .route(
            &format!("{entry}/oauth/introspect"),
            axum::routing::post(introspect),
        )
        .route(
            &format!("{entry}/oauth/userinfo"),
            get(userinfo).post(userinfo),
        );
    if let Some(remote) = state.server.remote() {
        router = router.route(
            &format!("{entry}/oauth/provider/{}/callback", remote.id()),
            get(upstream_callback),
        );
    }
    if let Some(federation) = state.server.federation() {
        for provider in &federation.providers {
            router = router.route(
                &format!("{entry}/oauth/provider/{}/callback", provider.id()),
                get(upstream_callback),
            );
        }
        router = router.route(&format!("{entry}/oauth/connect"), get(connect));
    }
    if state.server.login.passkeys().is_some() {
        router = router
            .route(
                &format!("{entry}/oauth/passkey"),
                axum::routing::post(passkey::passkey),
            )
            .route(
                &format!("{entry}/oauth/passkey.js"),
                get(passkey::passkey_script),
            );
    }
    if state.server.admin_enabled() {
        router = router.route(
            &format!("{entry}/admin/sessions/revoke"),
            axum::routing::post(admin_revoke),
        );
    }
    if !entry.is_empty() {
        // RFC 8414 §3.1: for an issuer with a path, the well-known segment goes first.
        router = router
            .route(
                &format!("/.well-known/oauth-authorization-server{entry}"),
                get(metadata),
            )
            .route(
                &format!("/.well-known/openid-configuration{entry}"),
                get(metadata),
            );
    }
    router.with_state(state)
}

async fn metadata(State(endpoints): State<Endpoints>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let document = endpoints.server.metadata(&endpoints.base(&parts));
    public_json(document)
}

async fn jwks(State(endpoints): State<Endpoints>) -> Response {
    public_json(endpoints.server.jwks())
}

fn public_json(document: serde_json::Value) -> Response {
    (
        [(header::CACHE_CONTROL, "max-age=300")],
        axum::Json(document),
    )
        .into_response()
}

async fn authorize(State(endpoints): State<Endpoints>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let params = match Params::from_urlencoded(parts.uri.query().unwrap_or_default().as_bytes()) {
        Ok(params) => params,
        Err(error) => {
            return endpoints
                .pages
                .error_page(&crate::oauth::ErrorPage::bad_request(
                    "Invalid authorization request",
                    error.description,
                ));
        }
    };
    let base = endpoints.base(&parts);
    match endpoints.server.authorize_step(&params, &base).await {
        Ok(AuthorizeStep::Upstream {
            location,
            pending_id,
            browser_key,
        }) => {
            let outcome = CallbackOutcome::Upstream {
                location,
                pending_id: pending_id.clone(),
                browser_key,
            };
            outcome_response(&endpoints, &base, &pending_id, Ok(outcome))
        }
        Ok(AuthorizeStep::Login(prompt)) => {
            let pending_id = prompt.pending_id.clone();
            let outcome = Ok(CallbackOutcome::Retry(prompt));
            outcome_response(&endpoints, &base, &pending_id, outcome)
        }
        Err(AuthorizeError::Page(page)) => endpoints.pages.error_page(&page),
        Err(AuthorizeError::Redirect(location)) => found(&endpoints.pages, &location),
    }
}

async fn callback(State(endpoints): State<Endpoints>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    if parts.method != Method::POST
        && endpoints.server.login.kind() != frontmcp_auth_config::AuthenticatorKind::Demo
    {
        // Credentials are posted, never sent in a URL (where logs and history keep them).
        return endpoints
            .pages
            .error_page(&crate::oauth::ErrorPage::bad_request(
                "Invalid login request",
                "the login form must be posted; start again from your application",
            ));
    }
    let raw = if parts.method == Method::POST {
        match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
            Ok(bytes) => bytes.to_vec(),
            Err(_) => return endpoints.pages.error_page(&too_large_page()),
        }
    } else {
        parts.uri.query().unwrap_or_default().as_bytes().to_vec()
    };
    let (form, cookie) = match form_and_cookie(&parts, &raw, "Invalid login request") {
        Ok(read) => read,
        Err(page) => return endpoints.pages.error_page(&page),
    };
    let mut input = match parse_input(&form, cookie) {
        Ok(input) => input,
        Err(page) => return endpoints.pages.error_page(&page),
    };
    input.client_ip = client_ip(&parts, &endpoints.proxies);
    let pending_id = input.pending_auth_id.clone();
    let base = endpoints.base(&parts);
    let outcome = endpoints.server.callback(input).await;
    outcome_response(&endpoints, &base, &pending_id, outcome)
}

/// `GET /oauth/provider/{id}/callback`: the upstream provider's answer (remote mode).
async fn upstream_callback(State(endpoints): State<Endpoints>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let params = match Params::from_urlencoded(parts.uri.query().unwrap_or_default().as_bytes()) {
        Ok(params) => params,
        Err(error) => {
            return endpoints
                .pages
                .error_page(&crate::oauth::ErrorPage::bad_request(
                    "Invalid sign-in response",
                    error.description,
                ));
        }
    };
    // The route is `{entry}/oauth/provider/{id}/callback`.
    let provider = parts
        .uri
        .path()
        .trim_end_matches("/callback")
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let pending_id = params
        .get("state")
        .and_then(|s| s.split_once('.'))
        .map(|(id, _)| id)
        .filter(|id| crate::oauth::flow::pending_id_well_formed(id))
        .unwrap_or_default()
        .to_owned();
    let base = endpoints.base(&parts);
    let browser_key = cookie_value(&parts.headers, &upstream_cookie_name(&pending_id));
    let outcome = if endpoints.server.remote().is_some() {
        endpoints
            .server
            .upstream_callback(&provider, &params, browser_key.as_deref())
            .await
    } else {
        endpoints
            .server
            .federated_callback(&provider, &params, browser_key.as_deref())
            .await
    };
    outcome_response(&endpoints, &base, &pending_id, outcome)
}

/// `GET /oauth/connect?ticket=...`: the sign-in page that links a federated provider to the
/// session that asked.
async fn connect(State(endpoints): State<Endpoints>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let params = Params::from_urlencoded(parts.uri.query().unwrap_or_default().as_bytes())
        .unwrap_or_default();
    let base = endpoints.base(&parts);
    let outcome = endpoints
        .server
        .connect_page(params.get("ticket"))
        .await
        .map(|prompt| CallbackOutcome::Retry(Box::new(prompt)));
    outcome_response(&endpoints, &base, "", outcome)
}

/// `POST /oauth/consent`: the consent screen's choice.
async fn consent(State(endpoints): State<Endpoints>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let raw = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => return endpoints.pages.error_page(&too_large_page()),
    };
    let input = match parse_consent(&raw, |id| {
        cookie_value(&parts.headers, &csrf_cookie_name(id))
    }) {
        Ok(input) => input,
        Err(page) => return endpoints.pages.error_page(&page),
    };
    let pending_id = input.pending_auth_id.clone();
    let base = endpoints.base(&parts);
    let outcome = endpoints.server.consent(input).await;
    outcome_response(&endpoints, &base, &pending_id, outcome)
}

async fn register(State(endpoints): State<Endpoints>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return oauth_error(&too_large(), false);
    };
    let bearer = bearer_of(&parts);
    let base = endpoints.base(&parts);
    match endpoints
        .server
        .register(&body, bearer.as_deref(), &base)
        .await
    {
        Ok(client) => (
            StatusCode::CREATED,
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(client),
        )
            .into_response(),
        Err(error) => oauth_error(&error, false),
    }
}

/// The body parameters and Basic credentials of a client-authenticated POST.
async fn client_request(
    parts: &Parts,
    body: Body,
) -> Result<(Params, Option<BasicCredentials>), OAuthError> {
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| too_large())?;
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let params = Params::from_body(content_type, &bytes)?;
    let mut authorization = parts.headers.get_all(header::AUTHORIZATION).iter();
    let basic = match (authorization.next(), authorization.next()) {
        (None, _) => None,
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request(
                "more than one Authorization header",
            ));
        }
        (Some(value), None) => {
            let text = value
                .to_str()
                .map_err(|_| OAuthError::invalid_client("the Authorization header is not ASCII"))?;
            BasicCredentials::from_header(text)?
        }
    };
    Ok((params, basic))
}

/// Whether the request's body is a form (RFC 6749 §3.2: the token endpoint takes no other).
fn is_form(parts: &Parts) -> bool {
    parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

async fn token(State(endpoints): State<Endpoints>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    if !is_form(&parts) {
        let error = OAuthError::invalid_request(
            "the token endpoint takes an application/x-www-form-urlencoded body",
        );
        return oauth_error(&error, false);
    }
    let (params, basic) = match client_request(&parts, body).await {
        Ok(request) => request,
        Err(error) => return oauth_error(&error, true),
    };
    let base = endpoints.base(&parts);
    let started = std::time::Instant::now();
    let outcome = endpoints.server.token(&params, basic.as_ref(), &base).await;
    match &outcome {
        Ok(_) => {
            let grant_type = params.get("grant_type").unwrap_or_default();
            crate::metrics::count(crate::metrics::Counter::TokensIssued, grant_type);
            if grant_type == "refresh_token" {
                crate::metrics::count(crate::metrics::Counter::Refreshes, "");
            }
            crate::metrics::observe_issuance(started.elapsed());
        }
        Err(error) if error.code != crate::oauth::ErrorCode::TemporarilyUnavailable => {
            crate::metrics::count(crate::metrics::Counter::AuthFailures, error.code.as_str());
        }
        Err(_) => {}
    }
    match outcome {
        Ok(tokens) => (
            [
                (header::CACHE_CONTROL, "no-store"),
                (header::PRAGMA, "no-cache"),
            ],
            axum::Json(tokens),
        )
            .into_response(),
        Err(error) => oauth_error(&error, basic.is_some()),
    }
}

async fn revoke(State(endpoints): State<Endpoints>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let (params, basic) = match client_request(&parts, body).await {
        Ok(request) => request,
        Err(error) => return oauth_error(&error, true),
    };
    match endpoints.server.revoke(&params, basic.as_ref()).await {
        Ok(()) => (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")]).into_response(),
        Err(error) => oauth_error(&error, basic.is_some()),
    }
}

async fn admin_revoke(State(endpoints): State<Endpoints>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let json_body = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return admin_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request",
                "the body is too large",
            );
        }
    };
    if bearer.is_some() && !json_body {
        return admin_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_request",
            "send the request as application/json",
        );
    }
    match endpoints.server.admin_revoke(bearer, &bytes).await {
        Ok(answer) => ([(header::CACHE_CONTROL, "no-store")], axum::Json(answer)).into_response(),
        Err(AdminError::Unauthorized) => {
            let mut response = admin_error(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "the admin credential is missing or wrong",
            );
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"admin\""),
            );
            response
        }
        Err(AdminError::BadRequest(description)) => {
            admin_error(StatusCode::BAD_REQUEST, "invalid_request", &description)
        }
        Err(AdminError::Unavailable) => {
            let mut response = admin_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "token storage is unavailable",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
            response
        }
    }
}

fn admin_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(serde_json::json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

async fn introspect(State(endpoints): State<Endpoints>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let base = endpoints.base(&parts);
    let (params, basic) = match client_request(&parts, body).await {
        Ok(request) => request,
        Err(error) => return oauth_error(&error, true),
    };
    match endpoints
        .server
        .introspect(&params, basic.as_ref(), &base)
        .await
    {
        Ok(answer) => ([(header::CACHE_CONTROL, "no-store")], axum::Json(answer)).into_response(),
        Err(error) => oauth_error(&error, basic.is_some()),
    }
}

async fn userinfo(State(endpoints): State<Endpoints>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let base = endpoints.base(&parts);
    let metadata = format!(
        "{base}/.well-known/oauth-protected-resource{}/mcp",
        endpoints.server.entry_path
    );
    let token = bearer_of(&parts);
    let Some(token) = token else {
        return Rejection::MissingToken.into_response_with(&metadata);
    };
    match endpoints.server.userinfo(&token, &base).await {
        Ok(info) => ([(header::CACHE_CONTROL, "no-store")], axum::Json(info)).into_response(),
        Err(rejection) => rejection.into_response_with(&metadata),
    }
}

/// The token of an `Authorization: Bearer` header, if there is one.
fn bearer_of(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned())
}

fn too_large() -> OAuthError {
    OAuthError::invalid_request("the request body is too large")
}

/// An OAuth error as JSON with its status; `invalid_client` after Basic authentication carries
/// the `WWW-Authenticate: Basic` challenge (RFC 6749 §5.2).
fn oauth_error(error: &OAuthError, basic: bool) -> Response {
    let status = StatusCode::from_u16(error.code.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = (status, axum::Json(error.body())).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if status == StatusCode::UNAUTHORIZED {
        let challenge = if basic {
            "Basic realm=\"frontmcp\""
        } else {
            "Bearer"
        };
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(challenge),
        );
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}
