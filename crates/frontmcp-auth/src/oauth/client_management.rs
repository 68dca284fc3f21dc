//! Client management (RFC 7592) at `/oauth/register/{client_id}`: a dynamically registered
//! client reads, replaces and deletes its registration with the registration access token its
//! registration returned. Every refusal is the same `invalid_token`, whether the client is
//! unknown, expired, configured rather than registered, or the token is wrong, so the endpoint
//! tells nothing about which clients exist.

use serde_json::{Map, Value};

use super::clients::client_id_well_formed;
use super::error::{ErrorCode, OAuthError};
use super::register::ClientMetadata;
use super::server::AuthorizationServer;
use crate::audit::{self, Event};
use crate::secrets::{constant_time_eq, digest};
use crate::store::{ClientRecord, ClientSource};

fn refused() -> OAuthError {
    OAuthError::new(
        ErrorCode::InvalidToken,
        "the registration access token is not valid for this client",
    )
}

impl AuthorizationServer {
    /// The registered client `client_id`, when `bearer` is its registration access token.
    async fn managed_client(
        &self,
        client_id: &str,
        bearer: Option<&str>,
    ) -> Result<ClientRecord, OAuthError> {
        let token = bearer.filter(|t| !t.is_empty()).ok_or_else(refused)?;
        if !self.registration_enabled() || !client_id_well_formed(client_id) {
            return Err(refused());
        }
        let client = self
            .store
            .client(client_id)
            .await?
            .filter(|c| c.source == ClientSource::Registered)
            .ok_or_else(refused)?;
        let expected = client
            .registration_token_hash
            .as_deref()
            .ok_or_else(refused)?;
        if !constant_time_eq(&digest(token), expected) {
            return Err(refused());
        }
        Ok(client)
    }

    /// `GET`: the client's registration as it stands (RFC 7592 §2.1).
    ///
    /// # Errors
    ///
    /// `invalid_token` (401) for anything but the client's registration access token.
    pub async fn read_client(
        &self,
        client_id: &str,
        bearer: Option<&str>,
        base: &str,
    ) -> Result<Value, OAuthError> {
        let client = self.managed_client(client_id, bearer).await?;
        let metadata = self.metadata_of(&client);
        let token = bearer.unwrap_or_default();
        Ok(Value::Object(
            self.client_information(&client, &metadata, token, base),
        ))
    }

    /// `PUT`: replaces the client's metadata (RFC 7592 §2.2). The body names the client's own
    /// `client_id`; a `client_secret` in it must be the client's; the authentication method
    /// stays. The update counts as a use (`dcr.client_ttl`).
    ///
    /// # Errors
    ///
    /// `invalid_token` as for [`Self::read_client`]; `invalid_request` for another
    /// `client_id`; `invalid_client_metadata` and `invalid_redirect_uri` as at registration.
    pub async fn update_client(
        &self,
        client_id: &str,
        bearer: Option<&str>,
        body: &[u8],
        base: &str,
    ) -> Result<Value, OAuthError> {
        let client = self.managed_client(client_id, bearer).await?;
        let metadata = self.client_metadata(body)?;
        if metadata.fields.get("client_id").and_then(Value::as_str) != Some(client_id) {
            return Err(OAuthError::invalid_request(
                "the body must carry the client's own client_id",
            ));
        }
        if let Some(sent) = metadata.fields.get("client_secret") {
            let matches = match (sent.as_str(), client.secret_hash.as_deref()) {
                (Some(sent), Some(hash)) => constant_time_eq(&digest(sent), hash),
                _ => false,
            };
            if !matches {
                return Err(OAuthError::new(
                    ErrorCode::InvalidClientMetadata,
                    "client_secret is not the client's secret",
                ));
            }
        }
        if metadata.auth_method != client.auth_method {
            return Err(OAuthError::new(
                ErrorCode::InvalidClientMetadata,
                "token_endpoint_auth_method cannot change; register a new client instead",
            ));
        }
        let updated = ClientRecord {
            name: metadata.name.clone(),
            redirect_uris: metadata.redirect_uris.clone(),
            scope: metadata.scope.clone(),
            keep_until: self.client_keep_until(self.now()),
            ..client
        };
        self.store
            .register_client(updated.clone(), u64::MAX)
            .await?;
        audit::record(
            Event::ClientUpdate,
            None,
            Some(client_id),
            updated.name.as_deref().unwrap_or(""),
        );
        let token = bearer.unwrap_or_default();
        Ok(Value::Object(
            self.client_information(&updated, &metadata, token, base),
        ))
    }

    /// `DELETE`: removes the client (RFC 7592 §2.3). Its refresh tokens stop at once, and its
    /// sessions on every instance at their next check.
    ///
    /// # Errors
    ///
    /// `invalid_token` as for [`Self::read_client`].
    pub async fn delete_client(
        &self,
        client_id: &str,
        bearer: Option<&str>,
    ) -> Result<(), OAuthError> {
        let client = self.managed_client(client_id, bearer).await?;
        self.store.delete_client(&client.client_id).await?;
        audit::record(
            Event::ClientDelete,
            None,
            Some(client_id),
            client.name.as_deref().unwrap_or(""),
        );
        Ok(())
    }

    /// Moves a registered client's end after a use, writing at most once per tenth of
    /// `dcr.client_ttl` (and at least daily); best effort.
    pub(crate) async fn touch_client(&self, client: &ClientRecord) {
        let now = self.now();
        let (Some(until), Some(next)) = (client.keep_until, self.client_keep_until(now)) else {
            return;
        };
        let step = (self.auth.dcr.client_ttl / 10).clamp(1, 24 * 3600);
        if next.saturating_sub(until) < step {
            return;
        }
        if let Err(e) = self.store.touch_client(client, next).await {
            tracing::warn!(target: "frontmcp_auth::oauth", error = %e, "could not record a client's use");
        }
    }

    /// What a stored client registered, for a read: its grant and response types are the ones
    /// registration allows.
    fn metadata_of(&self, client: &ClientRecord) -> ClientMetadata {
        let mut grant_types = vec![String::from("authorization_code")];
        if self.auth.refresh.enabled {
            grant_types.push(String::from("refresh_token"));
        }
        ClientMetadata {
            redirect_uris: client.redirect_uris.clone(),
            auth_method: client.auth_method,
            grant_types,
            response_types: vec![String::from("code")],
            name: client.name.clone(),
            scope: client.scope.clone(),
            fields: Map::new(),
        }
    }
}
