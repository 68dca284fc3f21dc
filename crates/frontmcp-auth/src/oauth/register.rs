//! Dynamic Client Registration (RFC 7591) at `POST /oauth/register`. A registered client
//! lives `dcr.client_ttl` after its last use, and is managed (RFC 7592) with the registration
//! access token its registration returned (`client_management`).

use serde_json::{Map, Value, json};

use super::error::{ErrorCode, OAuthError};
use super::redirect_uri::{allowed_by, validate_registration};
use super::scope::parse_scope;
use super::server::AuthorizationServer;
use crate::secrets::{constant_time_eq, digest, random_id, random_token};
use crate::store::{ClientAuthMethod, ClientRecord, ClientSource};

/// How every dynamically registered client id begins. An id of this shape that is not
/// registered is refused (`ClientLookup::Refused`), so with `require_registered_clients = false`
/// no unregistered client takes over a deleted or expired registration.
pub(crate) const REGISTERED_ID_PREFIX: &str = "mcp_";

/// Whether `client_id` has the shape of a dynamically registered client's id.
pub(crate) fn is_registered_id(client_id: &str) -> bool {
    client_id.starts_with(REGISTERED_ID_PREFIX)
}

/// The most redirect URIs one client may register.
const MAX_REDIRECT_URIS: usize = 16;

/// Checked registration metadata.
#[derive(Debug, Clone)]
pub(crate) struct ClientMetadata {
    pub(crate) redirect_uris: Vec<String>,
    pub(crate) auth_method: ClientAuthMethod,
    pub(crate) grant_types: Vec<String>,
    pub(crate) response_types: Vec<String>,
    pub(crate) name: Option<String>,
    pub(crate) scope: Option<Vec<String>>,
    /// Every field as sent (an update compares `client_id` and `client_secret`).
    pub(crate) fields: Map<String, Value>,
}

impl AuthorizationServer {
    /// Registers a client from its JSON metadata; `bearer` is the request's bearer token (the
    /// initial access token, when one is configured), `base` the server's URL as the request
    /// reached it. Returns the registration response.
    ///
    /// # Errors
    ///
    /// `invalid_token` without the right initial access token; `invalid_redirect_uri` and
    /// `invalid_client_metadata` for refused metadata; `access_denied` when
    /// `max_dynamic_clients` is reached.
    pub async fn register(
        &self,
        body: &[u8],
        bearer: Option<&str>,
        base: &str,
    ) -> Result<Value, OAuthError> {
        if !self.registration_enabled() {
            return Err(OAuthError::new(
                ErrorCode::AccessDenied,
                "dynamic client registration is disabled on this server",
            ));
        }
        if let Some(expected) = &self.auth.dcr.initial_access_token {
            let presented = bearer.unwrap_or_default();
            if !constant_time_eq(presented, expected.expose()) {
                return Err(OAuthError::new(
                    ErrorCode::InvalidToken,
                    "registration requires a valid initial access token",
                ));
            }
        }
        let metadata = self.client_metadata(body)?;
        let now = self.now();
        let client_id = format!("{REGISTERED_ID_PREFIX}{}", random_id());
        let secret = (metadata.auth_method != ClientAuthMethod::None).then(random_token);
        let registration_token = random_token();
        let record = ClientRecord {
            client_id: client_id.clone(),
            secret_hash: secret.as_deref().map(digest),
            name: metadata.name.clone(),
            redirect_uris: metadata.redirect_uris.clone(),
            auth_method: metadata.auth_method,
            scope: metadata.scope.clone(),
            source: ClientSource::Registered,
            created_at: now,
            keep_until: self.client_keep_until(now),
            registration_token_hash: Some(digest(&registration_token)),
        };
        self.store
            .register_client(record.clone(), self.auth.dcr.max_dynamic_clients)
            .await?;
        crate::audit::record(
            crate::audit::Event::ClientRegister,
            None,
            Some(&client_id),
            metadata.name.as_deref().unwrap_or(""),
        );
        let mut response = self.client_information(&record, &metadata, &registration_token, base);
        if let Some(secret) = secret {
            response.insert("client_secret".into(), json!(secret));
            response.insert("client_secret_expires_at".into(), json!(0));
        }
        Ok(Value::Object(response))
    }

    /// When a dynamically registered client used at `now` expires (`dcr.client_ttl`).
    pub(crate) fn client_keep_until(&self, now: u64) -> Option<u64> {
        let ttl = self.auth.dcr.client_ttl;
        (ttl > 0).then(|| now.saturating_add(ttl))
    }

    /// The client information response (RFC 7591 §3.2.1, RFC 7592 §3): what the client
    /// registered, its registration access token and the URI that manages it.
    pub(crate) fn client_information(
        &self,
        record: &ClientRecord,
        metadata: &ClientMetadata,
        registration_token: &str,
        base: &str,
    ) -> Map<String, Value> {
        let mut response = Map::new();
        response.insert("client_id".into(), json!(record.client_id));
        response.insert("client_id_issued_at".into(), json!(record.created_at));
        response.insert("redirect_uris".into(), json!(metadata.redirect_uris));
        response.insert(
            "token_endpoint_auth_method".into(),
            json!(metadata.auth_method.as_str()),
        );
        response.insert("grant_types".into(), json!(metadata.grant_types));
        response.insert("response_types".into(), json!(metadata.response_types));
        if let Some(name) = &metadata.name {
            response.insert("client_name".into(), json!(name));
        }
        if let Some(scope) = &metadata.scope {
            response.insert("scope".into(), json!(scope.join(" ")));
        }
        response.insert(
            "registration_access_token".into(),
            json!(registration_token),
        );
        response.insert(
            "registration_client_uri".into(),
            json!(self.endpoint(base, &format!("/oauth/register/{}", record.client_id))),
        );
        response
    }

    /// Reads and checks registration metadata (RFC 7591 §2), for a registration or an update.
    pub(crate) fn client_metadata(&self, body: &[u8]) -> Result<ClientMetadata, OAuthError> {
        let metadata: Value = serde_json::from_slice(body).map_err(|_| {
            OAuthError::new(
                ErrorCode::InvalidClientMetadata,
                "the body is not valid JSON",
            )
        })?;
        let Value::Object(metadata) = metadata else {
            return Err(metadata_error("the body must be a JSON object"));
        };
        let redirect_uris = self.redirect_uris(&metadata)?;
        let auth_method = match metadata.get("token_endpoint_auth_method") {
            None => ClientAuthMethod::ClientSecretBasic,
            Some(Value::String(name)) => ClientAuthMethod::parse(name).ok_or_else(|| {
                metadata_error(format!(
                    "token_endpoint_auth_method `{name}` is not supported (none, client_secret_basic, client_secret_post)"
                ))
            })?,
            Some(_) => return Err(metadata_error("token_endpoint_auth_method must be a string")),
        };
        let grant_types = string_list(&metadata, "grant_types")?.unwrap_or_else(|| {
            let mut grants = vec![String::from("authorization_code")];
            if self.auth.refresh.enabled {
                grants.push(String::from("refresh_token"));
            }
            grants
        });
        if let Some(other) = grant_types
            .iter()
            .find(|g| !["authorization_code", "refresh_token"].contains(&g.as_str()))
        {
            return Err(metadata_error(format!(
                "grant type `{other}` is not supported"
            )));
        }
        let response_types =
            string_list(&metadata, "response_types")?.unwrap_or_else(|| vec![String::from("code")]);
        if response_types.iter().any(|r| r != "code") {
            return Err(metadata_error("only the `code` response type is supported"));
        }
        let name = match metadata.get("client_name") {
            None => None,
            Some(Value::String(name)) if name.chars().count() <= 200 => Some(name.clone()),
            Some(_) => {
                return Err(metadata_error(
                    "client_name must be a string of at most 200 characters",
                ));
            }
        };
        let scope = match metadata.get("scope") {
            None => None,
            Some(Value::String(text)) => Some(
                parse_scope(text)
                    .map_err(|e| metadata_error(format!("scope: {}", e.description)))?,
            ),
            Some(_) => return Err(metadata_error("scope must be a space-separated string")),
        };
        Ok(ClientMetadata {
            redirect_uris,
            auth_method,
            grant_types,
            response_types,
            name,
            scope,
            fields: metadata,
        })
    }

    fn redirect_uris(&self, metadata: &Map<String, Value>) -> Result<Vec<String>, OAuthError> {
        let uris = string_list(metadata, "redirect_uris")?.unwrap_or_default();
        if uris.is_empty() {
            return Err(OAuthError::new(
                ErrorCode::InvalidRedirectUri,
                "redirect_uris is required",
            ));
        }
        if uris.len() > MAX_REDIRECT_URIS {
            return Err(OAuthError::new(
                ErrorCode::InvalidRedirectUri,
                format!("at most {MAX_REDIRECT_URIS} redirect URIs"),
            ));
        }
        for uri in &uris {
            validate_registration(uri).map_err(|e| {
                OAuthError::new(ErrorCode::InvalidRedirectUri, format!("{uri}: {e}"))
            })?;
            if !allowed_by(&self.auth.dcr.allowed_redirect_uris, uri) {
                let why = if self.auth.dcr.allowed_redirect_uris.is_empty() {
                    "only loopback redirect URIs may register here (dcr.allowed_redirect_uris is empty)"
                } else {
                    "not in dcr.allowed_redirect_uris"
                };
                return Err(OAuthError::new(
                    ErrorCode::InvalidRedirectUri,
                    format!("{uri}: {why}"),
                ));
            }
        }
        Ok(uris)
    }
}

fn metadata_error(description: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClientMetadata, description)
}

fn string_list(
    metadata: &Map<String, Value>,
    name: &str,
) -> Result<Option<Vec<String>>, OAuthError> {
    let Some(value) = metadata.get(name) else {
        return Ok(None);
    };
    let error = || metadata_error(format!("{name} must be a list of strings"));
    value
        .as_array()
        .ok_or_else(error)?
        .iter()
        .map(|item| item.as_str().map(str::to_owned).ok_or_else(error))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}
