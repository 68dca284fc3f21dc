//! The passkey page's routes: `POST /oauth/passkey` (the ceremony's answer) and
//! `GET /oauth/passkey.js` (the page's script), served only when passkeys are on.

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::header;

use super::{
    Endpoints, MAX_BODY_BYTES, client_ip, form_and_cookie, outcome_response, too_large_page,
};
use crate::oauth::parse_passkey;
use crate::ui;

/// `POST /oauth/passkey`: the passkey page's answer.
pub(super) async fn passkey(State(endpoints): State<Endpoints>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let raw = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => return endpoints.pages.error_page(&too_large_page()),
    };
    let (form, cookie) = match form_and_cookie(&parts, &raw, "Invalid passkey request") {
        Ok(read) => read,
        Err(page) => return endpoints.pages.error_page(&page),
    };
    let mut input = match parse_passkey(&form, cookie) {
        Ok(input) => input,
        Err(page) => return endpoints.pages.error_page(&page),
    };
    input.client_ip = client_ip(&parts, &endpoints.proxies);
    let pending_id = input.pending_auth_id.clone();
    let base = endpoints.base(&parts);
    let outcome = endpoints.server.passkey(input).await;
    outcome_response(&endpoints, &base, &pending_id, outcome)
}

/// `GET /oauth/passkey.js`: the passkey page's script.
pub(super) async fn passkey_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        ui::PASSKEY_SCRIPT,
    )
        .into_response()
}
