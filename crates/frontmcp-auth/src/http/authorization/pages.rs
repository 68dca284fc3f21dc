//! What the browser-facing routes share: reading a page's form with its CSRF cookie, the next
//! page after a submission, the CSRF cookie itself, and redirects that can never panic.

use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode, header};

use super::Endpoints;
use crate::oauth::flow::csrf_cookie_name;
use crate::oauth::{CallbackOutcome, Params};
use crate::ui;

/// A page form's fields and the CSRF cookie of the pending authorization it names; a
/// malformed form is the error page titled `title`.
pub(super) fn form_and_cookie(
    parts: &Parts,
    raw: &[u8],
    title: &str,
) -> Result<(Params, Option<String>), crate::oauth::ErrorPage> {
    let form = Params::from_urlencoded(raw)
        .map_err(|error| crate::oauth::ErrorPage::bad_request(title, error.description))?;
    let cookie = form
        .get("pending_auth_id")
        .and_then(|id| cookie_value(&parts.headers, &csrf_cookie_name(id)));
    Ok((form, cookie))
}

/// The browser's next page after a login or consent submission.
pub(super) fn outcome_response(
    endpoints: &Endpoints,
    base: &str,
    pending_id: &str,
    outcome: Result<CallbackOutcome, crate::oauth::ErrorPage>,
) -> Response {
    match outcome {
        Ok(CallbackOutcome::Redirect(location)) => {
            let mut response = found(&endpoints.pages, &location);
            let clear = format!(
                "{}=; Path={}/oauth; Max-Age=0; HttpOnly; SameSite=Strict",
                csrf_cookie_name(pending_id),
                endpoints.server.entry_path
            );
            if let Ok(value) = HeaderValue::from_str(&clear) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            response
        }
        Ok(CallbackOutcome::Upstream {
            location,
            pending_id,
            browser_key,
        }) => {
            let mut response = found(&endpoints.pages, &location);
            set_upstream_cookie(&mut response, endpoints, base, &pending_id, &browser_key);
            response
        }
        Ok(CallbackOutcome::Done(page)) => endpoints.pages.error_page(&page),
        Ok(page) => {
            // Every form page carries the pending authorization's CSRF token in a cookie.
            let (mut response, pending_id, token) = match page {
                CallbackOutcome::Retry(prompt) => (
                    endpoints
                        .pages
                        .login_page(&prompt, &endpoints.server.endpoint(base, "/oauth/callback")),
                    prompt.pending_id,
                    prompt.csrf_token,
                ),
                CallbackOutcome::Passkey(prompt) => (
                    endpoints.pages.passkey_page(
                        &prompt,
                        &endpoints.server.endpoint(base, "/oauth/passkey"),
                        &format!("{}/oauth/passkey.js", endpoints.server.entry_path),
                    ),
                    prompt.pending_id,
                    prompt.csrf_token,
                ),
                CallbackOutcome::Consent(prompt) => (
                    endpoints
                        .pages
                        .consent_page(&prompt, &endpoints.server.endpoint(base, "/oauth/consent")),
                    prompt.pending_id,
                    prompt.csrf_token,
                ),
                CallbackOutcome::Redirect(location) => {
                    return found(&endpoints.pages, &location);
                }
                CallbackOutcome::Upstream { location, .. } => {
                    return found(&endpoints.pages, &location);
                }
                CallbackOutcome::Done(page) => return endpoints.pages.error_page(&page),
            };
            set_csrf_cookie(&mut response, endpoints, base, &pending_id, &token);
            response
        }
        Err(page) => endpoints.pages.error_page(&page),
    }
}

/// The CSRF cookie of a pending authorization, sent with the login and consent forms.
pub(super) fn set_csrf_cookie(
    response: &mut Response,
    endpoints: &Endpoints,
    base: &str,
    pending_id: &str,
    token: &str,
) {
    let path = format!("{}/oauth", endpoints.server.entry_path);
    let name = csrf_cookie_name(pending_id);
    set_cookie(response, base, &name, token, &path, "Strict");
}

/// Binds a remote-mode sign-in to this browser. `SameSite=Lax`: the cookie must come back
/// on the top-level redirect from the identity provider, a cross-site navigation.
pub(super) fn set_upstream_cookie(
    response: &mut Response,
    endpoints: &Endpoints,
    base: &str,
    pending_id: &str,
    key: &str,
) {
    let path = format!("{}/oauth/provider", endpoints.server.entry_path);
    let name = crate::oauth::flow::upstream_cookie_name(pending_id);
    set_cookie(response, base, &name, key, &path, "Lax");
}

fn set_cookie(
    response: &mut Response,
    base: &str,
    name: &str,
    value: &str,
    path: &str,
    same_site: &str,
) {
    let secure = if base.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{name}={value}; Path={path}; Max-Age={}; HttpOnly; SameSite={same_site}{secure}",
        crate::oauth::PENDING_TTL,
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

pub(super) fn too_large_page() -> crate::oauth::ErrorPage {
    crate::oauth::ErrorPage {
        status: 413,
        title: String::from("Request too large"),
        message: String::from("the form is larger than this server accepts"),
    }
}

/// A 302 to `location`; a location that cannot be a header value (only possible for a redirect
/// URI registered before the ASCII rule) is an error page, never a panic.
pub(super) fn found(pages: &ui::Pages, location: &str) -> Response {
    let Ok(value) = HeaderValue::from_str(location) else {
        return pages.error_page(&crate::oauth::ErrorPage::bad_request(
            "Invalid redirect URI",
            "the client's redirect URI cannot be sent back to the browser",
        ));
    };
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    headers.insert(header::LOCATION, value);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub(super) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}
