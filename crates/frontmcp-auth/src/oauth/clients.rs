//! Finding a client (configuration, storage, metadata document) and authenticating it at the
//! token, revocation and introspection endpoints.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::cimd::is_document_url;
use super::error::OAuthError;
use super::params::Params;
use super::server::AuthorizationServer;
use crate::secrets::{constant_time_eq, digest};
use crate::store::ClientRecord;

/// The longest client id accepted (metadata document URLs included).
pub const MAX_CLIENT_ID_BYTES: usize = 2048;

/// Credentials from an `Authorization: Basic` header (RFC 6749 §2.3.1).
#[derive(Clone, PartialEq, Eq)]
pub struct BasicCredentials {
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub secret: String,
}

impl std::fmt::Debug for BasicCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicCredentials")
            .field("client_id", &self.client_id)
            .field("secret", &"[redacted]")
            .finish()
    }
}

impl BasicCredentials {
    /// Reads an `Authorization` header value: `None` when it is not Basic.
    ///
    /// # Errors
    ///
    /// `invalid_client` for a Basic header that is not well formed.
    pub fn from_header(value: &str) -> Result<Option<Self>, OAuthError> {
        let Some((scheme, encoded)) = value.split_once(' ') else {
            return Ok(None);
        };
        if !scheme.eq_ignore_ascii_case("basic") {
            return Ok(None);
        }
        let malformed = || OAuthError::invalid_client("the Basic credentials are malformed");
        let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
        let text = String::from_utf8(decoded).map_err(|_| malformed())?;
        let (id, secret) = text.split_once(':').ok_or_else(malformed)?;
        let unescape = |s: &str| {
            url::form_urlencoded::parse(format!("v={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
        };
        Ok(Some(Self {
            client_id: unescape(id).ok_or_else(malformed)?,
            secret: unescape(secret).ok_or_else(malformed)?,
        }))
    }
}

/// Whether a client id is well formed: 1 to 2048 visible ASCII characters.
pub fn client_id_well_formed(client_id: &str) -> bool {
    !client_id.is_empty()
        && client_id.len() <= MAX_CLIENT_ID_BYTES
        && client_id.bytes().all(|b| b.is_ascii_graphic())
}

/// The error for a malformed client id.
fn malformed_client_id() -> OAuthError {
    OAuthError::invalid_request(format!(
        "client_id must be 1 to {MAX_CLIENT_ID_BYTES} visible ASCII characters"
    ))
}

/// Where a client lookup ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientLookup {
    /// A known client.
    Found(ClientRecord),
    /// No such client.
    Unknown,
    /// A client that cannot be used, and why: a metadata document that was refused, or an id
    /// of the dynamically registered shape that is not registered (deleted or expired). Never
    /// `Unknown`, so no unregistered client can take such an id.
    Refused(String),
}

impl AuthorizationServer {
    /// Finds a client: configured, registered, or described by a metadata document (fetched
    /// only when `fetch`: the authorization endpoint; the token, revocation and introspection
    /// endpoints never trigger a fetch).
    ///
    /// # Errors
    ///
    /// `invalid_request` for a malformed client id (see [`client_id_well_formed`]);
    /// `temporarily_unavailable` when storage fails.
    pub async fn find_client(
        &self,
        client_id: &str,
        fetch: bool,
    ) -> Result<ClientLookup, OAuthError> {
        if !client_id_well_formed(client_id) {
            // Never `Unknown`: an unknown id may become an unregistered client, a malformed one
            // must not.
            return Err(malformed_client_id());
        }
        if let Some(client) = self.configured_clients.get(client_id) {
            return Ok(ClientLookup::Found(client.clone()));
        }
        if is_document_url(client_id) {
            let found = if fetch {
                self.documents.resolve(client_id).await
            } else {
                self.documents.known(client_id)
            };
            return Ok(match found {
                Ok(client) => ClientLookup::Found(client),
                Err(reason) => ClientLookup::Refused(reason),
            });
        }
        Ok(match self.store.client(client_id).await? {
            Some(client) => {
                self.touch_client(&client).await;
                ClientLookup::Found(client)
            }
            None if super::register::is_registered_id(client_id) => ClientLookup::Refused(
                String::from("unknown client: no registered client has this id"),
            ),
            None => ClientLookup::Unknown,
        })
    }

    /// Authenticates the client of a token, revocation or introspection request:
    /// `client_secret_basic`, `client_secret_post`, or a public client naming itself.
    ///
    /// # Errors
    ///
    /// `invalid_client` for an unknown client, a wrong secret, or a confidential client that
    /// did not authenticate; `invalid_request` for two methods at once.
    pub async fn authenticate_client(
        &self,
        params: &Params,
        basic: Option<&BasicCredentials>,
    ) -> Result<ClientRecord, OAuthError> {
        self.authenticate_client_at(params, basic, None).await
    }

    /// As [`Self::authenticate_client`], also taking `private_key_jwt` assertions for
    /// `audience` (the token endpoint's URL).
    ///
    /// # Errors
    ///
    /// As [`Self::authenticate_client`].
    pub async fn authenticate_client_at(
        &self,
        params: &Params,
        basic: Option<&BasicCredentials>,
        audience: Option<&str>,
    ) -> Result<ClientRecord, OAuthError> {
        let posted = params.get("client_secret");
        if params.get("client_assertion").is_some() || params.get("client_assertion_type").is_some()
        {
            if basic.is_some() || posted.is_some() {
                return Err(OAuthError::invalid_request(
                    "use one client authentication method, not an assertion and a secret together",
                ));
            }
            let client_id = self.assertion_client(params, audience).await?;
            return match self.find_client(&client_id, false).await? {
                ClientLookup::Found(client) => Ok(client),
                _ => Err(OAuthError::invalid_client("unknown client")),
            };
        }
        let (client_id, secret) = match (basic, posted) {
            (Some(_), Some(_)) => {
                return Err(OAuthError::invalid_request(
                    "use one client authentication method, not Basic and client_secret together",
                ));
            }
            (Some(basic), None) => {
                if params
                    .get("client_id")
                    .is_some_and(|id| id != basic.client_id)
                {
                    return Err(OAuthError::invalid_request(
                        "client_id differs from the Basic credentials",
                    ));
                }
                (basic.client_id.as_str(), Some(basic.secret.as_str()))
            }
            (None, posted) => (params.require("client_id")?, posted),
        };
        let client = match self.find_client(client_id, false).await? {
            ClientLookup::Found(client) => client,
            // With `require_registered_clients = false` an unknown client is a public client;
            // its code is still bound to the redirect URI and PKCE challenge it authorized with.
            ClientLookup::Unknown if !self.auth.require_registered_clients => ClientRecord {
                client_id: client_id.to_owned(),
                secret_hash: None,
                name: None,
                redirect_uris: Vec::new(),
                auth_method: crate::store::ClientAuthMethod::None,
                scope: None,
                source: crate::store::ClientSource::Unregistered,
                created_at: self.now(),
                keep_until: None,
                registration_token_hash: None,
            },
            _ => return Err(OAuthError::invalid_client("unknown client")),
        };
        if self.needs_assertion(&client) {
            return Err(OAuthError::invalid_client(
                "this client authenticates with private_key_jwt (client_assertion)",
            ));
        }
        match (&client.secret_hash, secret) {
            (None, None) => Ok(client),
            (None, Some(_)) => Err(OAuthError::invalid_client(
                "this is a public client; it has no secret to send",
            )),
            (Some(_), None) => Err(OAuthError::invalid_client(
                "client authentication is required for this client",
            )),
            (Some(stored), Some(secret)) => {
                if constant_time_eq(stored, &digest(secret)) {
                    Ok(client)
                } else {
                    Err(OAuthError::invalid_client("client authentication failed"))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let header = format!("Basic {}", STANDARD.encode("my%20client:s%3Acret"));
        let credentials = BasicCredentials::from_header(&header)
            .expect("well formed")
            .expect("basic");
        assert_eq!(credentials.client_id, "my client");
        assert_eq!(credentials.secret, "s:cret");
        assert!(!format!("{credentials:?}").contains("s:cret"));
        assert_eq!(BasicCredentials::from_header("Bearer abc"), Ok(None));
        assert!(BasicCredentials::from_header("Basic !!!").is_err());
    }

    #[test]
    fn client_ids_are_bounded_visible_ascii() {
        assert!(client_id_well_formed("mcp_abc-123"));
        assert!(!client_id_well_formed(""));
        assert!(!client_id_well_formed("a b"));
        assert!(!client_id_well_formed(&"x".repeat(MAX_CLIENT_ID_BYTES + 1)));
    }
}
