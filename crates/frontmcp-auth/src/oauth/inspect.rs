//! Checking this server's tokens: the guard's verifier, `POST /oauth/revoke` (RFC 7009),
//! `POST /oauth/introspect` (RFC 7662) and `GET /oauth/userinfo`.

use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::{Map, Value, json};

use super::clients::BasicCredentials;
use super::error::OAuthError;
use super::params::Params;
use super::server::AuthorizationServer;
use crate::audit::{self, Event};
use crate::secrets::digest;
use crate::store::{ClientSource, StoreError};
use crate::verify::{AuthContext, Rejection, TokenVerifier, scopes_of};

impl AuthorizationServer {
    /// Verifies one of this server's access tokens sent to `base`: signature (algorithm pinned
    /// to the `kid`), expiry, issuer, audience, and in stateful mode that its authorization has
    /// not been revoked.
    ///
    /// # Errors
    ///
    /// [`Rejection::InvalidToken`] saying what is wrong; [`Rejection::Unavailable`] when the
    /// stateful check cannot reach storage.
    pub async fn verify_access(&self, token: &str, base: &str) -> Result<AuthContext, Rejection> {
        let now = self.clock.now();
        let mut context = match self.verified.get(base, token, now) {
            Some(context) => context,
            None => {
                let context = self.verify_claims(token, base)?;
                if let Some(exp) = context.expires_at {
                    self.verified.put(base, token, &context, exp, now);
                }
                context
            }
        };
        if self.is_stateful() {
            let family_id =
                context
                    .session_id
                    .as_deref()
                    .ok_or_else(|| Rejection::InvalidToken {
                        description: String::from("the token has no session"),
                    })?;
            self.check_session_live(family_id, now).await?;
        }
        context.upstream = self.vault().map(|vault| crate::verify::UpstreamAccess {
            vault: vault.clone(),
            connect: self.connect.clone(),
        });
        Ok(context)
    }

    /// The stateless part of [`Self::verify_access`]: signature, expiry, issuer, audience,
    /// subject; the caller it names.
    fn verify_claims(&self, token: &str, base: &str) -> Result<AuthContext, Rejection> {
        let invalid = |description: &str| Rejection::InvalidToken {
            description: description.to_owned(),
        };
        self.signature_checks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let claims = self
            .verify_signature(token)
            .map_err(|description| Rejection::InvalidToken { description })?;
        if claims.get("iss").and_then(Value::as_str) != Some(self.issuer(base).as_str()) {
            return Err(invalid("the token was issued by another issuer"));
        }
        let resource = self.resource(base);
        let audience_matches = match claims.get("aud") {
            Some(Value::String(aud)) => *aud == resource,
            Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(resource.as_str())),
            _ => false,
        };
        if !audience_matches {
            return Err(invalid("the token is not meant for this resource"));
        }
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("the token has no subject"))?
            .to_owned();
        let family_id = claims.get("sid").and_then(Value::as_str).map(str::to_owned);
        Ok(context_of(subject, family_id, claims))
    }

    /// Stateful mode: the token's session (refresh family) must not be revoked. A session found
    /// live is trusted while the store's revocation count stays the same, so the store is read
    /// again after any revocation, on any instance, and at least every
    /// [`crate::verify::SESSION_TRUST_SECONDS`].
    async fn check_session_live(&self, family_id: &str, now: u64) -> Result<(), Rejection> {
        let unavailable = || {
            crate::metrics::count(crate::metrics::Counter::StorageErrors, "");
            Rejection::Unavailable
        };
        let revocations = match self.store.revocations() {
            Some(count) => Some(count.await.map_err(|_| unavailable())?),
            None => None,
        };
        if revocations.is_some_and(|count| self.live_sessions.is_live(family_id, count, now)) {
            return Ok(());
        }
        let family = match self.store.family(family_id).await {
            Ok(Some(family)) if !family.revoked => {
                // A registered client that was deleted or expired takes its sessions with it.
                match self.client_removed(&family.grant.client_id).await {
                    Ok(false) => Ok(Some(family)),
                    Ok(true) => Ok(None),
                    Err(e) => Err(e),
                }
            }
            Ok(_) => Ok(None),
            Err(e) => Err(e),
        };
        match family {
            Ok(Some(family)) => {
                if let Some(count) = revocations {
                    self.live_sessions
                        .found_live(family_id, count, now, family.expires_at);
                }
                Ok(())
            }
            Ok(_) => Err(Rejection::InvalidToken {
                description: String::from("the token has been revoked"),
            }),
            Err(StoreError::Unavailable(_)) => Err(unavailable()),
            Err(StoreError::LimitReached(_)) => Err(Rejection::Unavailable),
        }
    }

    /// Whether `client_id` names a dynamically registered client that is no longer stored
    /// (configured, unregistered and metadata-document clients are never removed this way).
    async fn client_removed(&self, client_id: &str) -> Result<bool, StoreError> {
        if !super::register::is_registered_id(client_id)
            || self.configured_clients.contains_key(client_id)
        {
            return Ok(false);
        }
        Ok(self.store.client(client_id).await?.is_none())
    }

    /// Revokes a refresh or access token of the authenticated client (RFC 7009): the whole
    /// authorization it belongs to. Unknown tokens are not an error.
    ///
    /// # Errors
    ///
    /// `invalid_client` when the client does not authenticate; `invalid_request` without a
    /// token; `temporarily_unavailable` when storage is down.
    pub async fn revoke(
        &self,
        params: &Params,
        basic: Option<&BasicCredentials>,
    ) -> Result<(), OAuthError> {
        params.no_repeats()?;
        let client = self.authenticate_client(params, basic).await?;
        let token = params.require("token")?;
        let family = match self.store.family_by_token(&digest(token)).await? {
            Some(lookup) => Some(lookup.family),
            None => match self
                .verify_signature(token)
                .ok()
                .and_then(|c| c.get("sid").and_then(Value::as_str).map(str::to_owned))
            {
                Some(id) => self.store.family(&id).await?,
                None => None,
            },
        };
        if let Some(family) = family
            && family.grant.client_id == client.client_id
        {
            self.store.revoke_family(&family.id).await?;
            self.end_session_record(&family.id).await;
            let user = Some(family.grant.subject.as_str());
            audit::record(
                Event::TokenRevoke,
                user,
                Some(&client.client_id),
                "client request",
            );
            audit::record(Event::Logout, user, Some(&client.client_id), "");
        }
        Ok(())
    }

    /// Introspects a token (RFC 7662). Confidential clients may introspect the tokens issued to
    /// them; clients configured in `dcr.clients` with a secret (resource servers) any token.
    ///
    /// # Errors
    ///
    /// `invalid_client` for a public or unauthenticated client.
    pub async fn introspect(
        &self,
        params: &Params,
        basic: Option<&BasicCredentials>,
        base: &str,
    ) -> Result<Value, OAuthError> {
        params.no_repeats()?;
        let client = self.authenticate_client(params, basic).await?;
        if client.secret_hash.is_none() {
            return Err(OAuthError::invalid_client(
                "introspection needs a confidential client",
            ));
        }
        let token = params.require("token")?;
        let trusted = client.source == ClientSource::Configured;
        let inactive = json!({"active": false});
        if let Some(lookup) = self.store.family_by_token(&digest(token)).await? {
            let family = lookup.family;
            let current = lookup.generation == family.generation && !family.revoked;
            if !current || !(trusted || family.grant.client_id == client.client_id) {
                return Ok(inactive);
            }
            return Ok(json!({
                "active": true,
                "token_type": "refresh_token",
                "client_id": family.grant.client_id,
                "sub": family.grant.subject,
                "scope": family.grant.scope.join(" "),
                "exp": family.expires_at,
                "iss": family.grant.issuer,
            }));
        }
        match self.verify_access(token, base).await {
            Ok(context)
                if trusted || context.client_id.as_deref() == Some(client.client_id.as_str()) =>
            {
                let mut answer = Arc::unwrap_or_clone(context.claims);
                answer.insert("active".into(), json!(true));
                answer.insert("token_type".into(), json!("Bearer"));
                Ok(Value::Object(answer))
            }
            Err(Rejection::Unavailable) => {
                Err(StoreError::Unavailable(String::from("introspection")).into())
            }
            _ => Ok(inactive),
        }
    }

    /// The claims about the user of an access token (`GET /oauth/userinfo`).
    ///
    /// # Errors
    ///
    /// As [`AuthorizationServer::verify_access`].
    pub async fn userinfo(&self, token: &str, base: &str) -> Result<Value, Rejection> {
        let context = self.verify_access(token, base).await?;
        // Per subject too, beside the per-address limit in front of the route.
        if let Some(limit) = &self.userinfo_limit
            && let Err(retry_after) = limit.check(&digest(&context.subject)).await
        {
            crate::metrics::count(crate::metrics::Counter::RateLimited, limit.name);
            return Err(Rejection::RateLimited { retry_after });
        }
        let mut info = Map::new();
        info.insert("sub".into(), json!(context.subject));
        for name in ["email", "name"] {
            if let Some(value) = context.claims.get(name) {
                info.insert(name.into(), value.clone());
            }
        }
        Ok(Value::Object(info))
    }
}

fn context_of(
    subject: String,
    family_id: Option<String>,
    claims: Map<String, Value>,
) -> AuthContext {
    AuthContext {
        subject,
        anonymous: false,
        scopes: scopes_of(&claims),
        client_id: claims
            .get("client_id")
            .and_then(Value::as_str)
            .map(str::to_owned),
        session_id: family_id,
        expires_at: claims.get("exp").and_then(Value::as_u64),
        claims: Arc::new(claims),
        upstream: None,
    }
}

/// The guard's verifier for `local` mode: this server's own tokens, issuer and audience taken
/// from each request.
#[derive(Debug, Clone)]
pub struct LocalVerifier {
    server: Arc<AuthorizationServer>,
    fallback_base: String,
}

impl LocalVerifier {
    /// Verifies tokens of `server`; `fallback_base` is used when no request base is known.
    pub fn new(server: Arc<AuthorizationServer>, fallback_base: impl Into<String>) -> Self {
        Self {
            server,
            fallback_base: fallback_base.into(),
        }
    }
}

impl TokenVerifier for LocalVerifier {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<AuthContext, Rejection>> {
        Box::pin(self.server.verify_access(token, &self.fallback_base))
    }

    fn verify_at<'a>(
        &'a self,
        token: &'a str,
        base: &'a str,
    ) -> BoxFuture<'a, Result<AuthContext, Rejection>> {
        Box::pin(self.server.verify_access(token, base))
    }
}
