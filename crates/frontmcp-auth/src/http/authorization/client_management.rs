//! `/oauth/register/{client_id}`: RFC 7592 client management, with the registration access
//! token as the bearer credential.

use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use http::{Method, StatusCode, header};

use super::{Endpoints, MAX_BODY_BYTES, bearer_of, oauth_error, too_large};

/// `GET`, `PUT` and `DELETE` on one client's registration.
pub(super) async fn manage(
    State(endpoints): State<Endpoints>,
    Path(client_id): Path<String>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let bearer = bearer_of(&parts);
    let base = endpoints.base(&parts);
    let server = &endpoints.server;
    let outcome = match parts.method {
        Method::GET => {
            server
                .read_client(&client_id, bearer.as_deref(), &base)
                .await
        }
        Method::PUT => {
            let Ok(body) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
                return oauth_error(&too_large(), false);
            };
            server
                .update_client(&client_id, bearer.as_deref(), &body, &base)
                .await
        }
        _ => {
            return match server.delete_client(&client_id, bearer.as_deref()).await {
                Ok(()) => StatusCode::NO_CONTENT.into_response(),
                Err(error) => oauth_error(&error, false),
            };
        }
    };
    match outcome {
        Ok(client) => ([(header::CACHE_CONTROL, "no-store")], axum::Json(client)).into_response(),
        Err(error) => oauth_error(&error, false),
    }
}
