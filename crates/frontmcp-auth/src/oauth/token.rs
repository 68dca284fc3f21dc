//! `POST /oauth/token`: the `authorization_code` and `refresh_token` grants.
//!
//! Codes are single use: a second use fails and revokes the family the first use started.
//! Refresh tokens rotate on every use; presenting a rotated token revokes its family, except an
//! identical retry within `refresh.reuse_grace_seconds`, which gets the same new pair back.

use super::clients::BasicCredentials;
use super::error::{ErrorCode, OAuthError};
use super::params::Params;
use super::pkce::CodeChallenge;
use super::scope::{beyond, parse_scope};
use super::server::{AuthorizationServer, TokenResponse, internal};
use crate::audit::{self, Event};
use crate::secrets::{digest, open, random_id, random_token, seal};
use crate::store::{ClientRecord, CodeRedemption, FamilyLookup, Grant, RefreshFamily, Rotation};

impl AuthorizationServer {
    /// Answers a token request.
    ///
    /// # Errors
    ///
    /// The RFC 6749 error for the request.
    pub async fn token(
        &self,
        params: &Params,
        basic: Option<&BasicCredentials>,
        base: &str,
    ) -> Result<TokenResponse, OAuthError> {
        params.no_repeats()?;
        let issuer = self.issuer(base);
        let grant_type = params.require("grant_type")?;
        let endpoint = self.endpoint(base, "/oauth/token");
        let client = || self.authenticate_client_at(params, basic, Some(&endpoint));
        match grant_type {
            "authorization_code" => {
                let client = client().await?;
                self.exchange_code(params, &client, &issuer).await
            }
            "refresh_token" if self.auth.refresh.enabled => {
                let client = client().await?;
                self.refresh(params, &client, &issuer).await
            }
            super::machines::CLIENT_CREDENTIALS
                if self.machines.offers(super::machines::CLIENT_CREDENTIALS) =>
            {
                let client = client().await?;
                self.client_credentials(params, &client, base).await
            }
            super::machines::JWT_BEARER if self.machines.accepts_id_jag() => {
                let client = client().await?;
                self.id_jag(params, &client, base).await
            }
            other => Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                format!(
                    "grant_type `{}` is not supported",
                    other.chars().take(64).collect::<String>()
                ),
            )),
        }
    }

    async fn exchange_code(
        &self,
        params: &Params,
        client: &ClientRecord,
        issuer: &str,
    ) -> Result<TokenResponse, OAuthError> {
        let code = params.require("code")?;
        let redirect_uri = params.require("redirect_uri")?;
        let verifier = params.require("code_verifier")?;
        let family_id = random_id();
        let grant = match self.store.redeem_code(&digest(code), &family_id).await? {
            CodeRedemption::Fresh(grant) => grant,
            CodeRedemption::Unknown => {
                return Err(OAuthError::invalid_grant(
                    "the authorization code is invalid or expired",
                ));
            }
            CodeRedemption::Reused { family_id } => {
                let subject = match self.store.family(&family_id).await {
                    Ok(Some(family)) => Some(family.grant.subject),
                    _ => None,
                };
                self.store.revoke_family(&family_id).await?;
                self.end_session_record(&family_id).await;
                audit::record(
                    Event::TokenReuseDetected,
                    subject.as_deref(),
                    Some(&client.client_id),
                    "authorization_code",
                );
                crate::metrics::count(crate::metrics::Counter::ReuseDetected, "authorization_code");
                tracing::warn!(target: "frontmcp_auth::oauth", client_id = %client.client_id, "authorization code reused; revoked the tokens issued from it");
                return Err(OAuthError::invalid_grant(
                    "the authorization code was already used; the tokens issued from it are revoked",
                ));
            }
        };
        if self.now() >= grant.expires_at {
            return Err(OAuthError::invalid_grant(
                "the authorization code has expired",
            ));
        }
        if grant.grant.issuer != issuer {
            return Err(OAuthError::invalid_grant(
                "the authorization code was issued by another authorization server",
            ));
        }
        if grant.grant.client_id != client.client_id {
            return Err(OAuthError::invalid_grant(
                "the authorization code was issued to another client",
            ));
        }
        if grant.redirect_uri != redirect_uri {
            return Err(OAuthError::invalid_grant(
                "redirect_uri differs from the one of the authorization request",
            ));
        }
        CodeChallenge::from_stored(&grant.code_challenge)
            .verify(verifier)
            .map_err(|e| OAuthError::invalid_grant(format!("PKCE verification failed: {e}")))?;
        if let Some(resource) = params.get("resource")
            && resource.trim_end_matches('/') != grant.grant.resource
        {
            return Err(OAuthError::new(
                ErrorCode::InvalidTarget,
                "resource differs from the one authorized",
            ));
        }
        if let Some(sealed) = &grant.upstream_tokens {
            self.vault_upstream_tokens(&family_id, sealed, &grant.grant)
                .await?;
        }
        self.start_family(
            family_id,
            grant.grant,
            self.auth.refresh.enabled,
            "authorization_code",
        )
        .await
    }

    /// A grant without a refresh token (`client_credentials`, ID-JAG): the client asks again.
    pub(crate) async fn issue_without_refresh(
        &self,
        grant: Grant,
        grant_name: &str,
    ) -> Result<TokenResponse, OAuthError> {
        self.start_family(random_id(), grant, false, grant_name)
            .await
    }

    /// Live sessions a subject may hold from grants without a browser: a service asking for a
    /// token on every run replaces its oldest one rather than piling them up.
    const ASSERTION_SESSIONS: u64 = 32;

    /// Remote mode and federation: the sign-in's upstream tokens move into the vault under the
    /// new session,
    /// kept as long as its refresh family.
    async fn vault_upstream_tokens(
        &self,
        family_id: &str,
        sealed: &str,
        grant: &Grant,
    ) -> Result<(), OAuthError> {
        let Some(vault) = self.vault() else {
            return Ok(());
        };
        let entries = vault
            .open_carried(sealed, &grant.subject, &grant.client_id)
            .ok_or_else(|| super::server::internal("the sign-in's upstream tokens do not open"))?;
        let refresh = &self.auth.refresh;
        let ttl = if refresh.enabled {
            refresh.refresh_token_ttl
        } else {
            refresh.access_token_ttl
        };
        let keep_until = super::sessions::session_expiry(self.now() + ttl);
        for mut entry in entries {
            entry.keep_until = keep_until;
            vault.put(family_id, entry).await?;
        }
        Ok(())
    }

    /// When a family refreshed `now` ends: `refresh_token_ttl` after the login, or with
    /// `refresh.sliding` that long after `now` but never past the sliding maximum after the
    /// login.
    fn family_end(&self, grant: &Grant, now: u64) -> u64 {
        let refresh = &self.auth.refresh;
        let login = grant.auth_time.min(now);
        let cap = if refresh.sliding {
            login.saturating_add(frontmcp_auth_config::model::MAX_SLIDING_LIFETIME_SECONDS)
        } else {
            login.saturating_add(refresh.refresh_token_ttl)
        };
        now.saturating_add(refresh.refresh_token_ttl).min(cap)
    }

    async fn start_family(
        &self,
        family_id: String,
        grant: Grant,
        with_refresh: bool,
        grant_name: &str,
    ) -> Result<TokenResponse, OAuthError> {
        let now = self.now();
        let refresh = &self.auth.refresh;
        let (refresh_token, expires_at) = if with_refresh {
            (Some(random_token()), self.family_end(&grant, now))
        } else {
            (None, now + refresh.access_token_ttl)
        };
        let response = self.respond(&grant, &grant.scope, &family_id, refresh_token.clone())?;
        let family = RefreshFamily {
            id: family_id,
            grant,
            generation: 0,
            expires_at,
            rotated_at: now,
            replay: None,
            revoked: false,
        };
        let token_hash = refresh_token
            .as_deref()
            .map(digest)
            .unwrap_or_else(random_id);
        let (subject, client_id) = (family.grant.subject.clone(), family.grant.client_id.clone());
        let session = self.session_of(&family);
        self.store.create_family(family, token_hash).await?;
        audit::record(
            Event::TokenCreate,
            Some(&subject),
            Some(&client_id),
            grant_name,
        );
        let configured = self.security.max_concurrent_sessions;
        let max = if with_refresh {
            configured
        } else if configured == 0 {
            Self::ASSERTION_SESSIONS
        } else {
            configured.min(Self::ASSERTION_SESSIONS)
        };
        self.start_session(session, max).await?;
        Ok(response)
    }

    fn respond(
        &self,
        grant: &Grant,
        scope: &[String],
        family_id: &str,
        refresh_token: Option<String>,
    ) -> Result<TokenResponse, OAuthError> {
        let (access_token, expires_in) = self.access_token(grant, scope, family_id)?;
        Ok(TokenResponse {
            access_token,
            token_type: String::from("Bearer"),
            expires_in,
            refresh_token,
            scope: (!scope.is_empty()).then(|| scope.join(" ")),
        })
    }

    async fn refresh(
        &self,
        params: &Params,
        client: &ClientRecord,
        issuer: &str,
    ) -> Result<TokenResponse, OAuthError> {
        let presented = params.require("refresh_token")?;
        let token_hash = digest(presented);
        let lookup = self
            .store
            .family_by_token(&token_hash)
            .await?
            .ok_or_else(|| OAuthError::invalid_grant("the refresh token is invalid or expired"))?;
        let family = &lookup.family;
        if family.grant.issuer != issuer {
            return Err(OAuthError::invalid_grant(
                "the refresh token was issued by another authorization server",
            ));
        }
        if family.grant.client_id != client.client_id {
            return Err(OAuthError::invalid_grant(
                "the refresh token was issued to another client",
            ));
        }
        if family.revoked {
            return Err(OAuthError::invalid_grant(
                "the refresh token has been revoked",
            ));
        }
        // RFC 8707 §2.2: a refresh may name the resource, but only the one granted.
        if let Some(resource) = params.get("resource")
            && resource != family.grant.resource
        {
            return Err(OAuthError::new(
                ErrorCode::InvalidTarget,
                "the refresh token was granted for another resource",
            ));
        }
        let scope = match params.get("scope") {
            None => family.grant.scope.clone(),
            Some(text) => {
                let requested = parse_scope(text)?;
                let extra = beyond(&requested, &family.grant.scope);
                if !extra.is_empty() {
                    return Err(OAuthError::new(
                        ErrorCode::InvalidScope,
                        format!("scopes beyond the original grant: {}", extra.join(" ")),
                    ));
                }
                requested
            }
        };
        if lookup.generation == family.generation {
            if let Some(response) = self.rotate(presented, &lookup, &scope).await? {
                audit::record(
                    Event::TokenRefresh,
                    Some(&family.grant.subject),
                    Some(&family.grant.client_id),
                    "rotated",
                );
                self.extend_session(family, self.family_end(&family.grant, self.now()))
                    .await;
                return Ok(response);
            }
            let again = self
                .store
                .family_by_token(&token_hash)
                .await?
                .ok_or_else(|| {
                    OAuthError::invalid_grant("the refresh token is invalid or expired")
                })?;
            return self.replay_or_revoke(presented, &again).await;
        }
        self.replay_or_revoke(presented, &lookup).await
    }

    /// Rotates the family; `None` when another request rotated it first.
    async fn rotate(
        &self,
        presented: &str,
        lookup: &FamilyLookup,
        scope: &[String],
    ) -> Result<Option<TokenResponse>, OAuthError> {
        let now = self.now();
        let family = &lookup.family;
        let next = random_token();
        let response = self.respond(&family.grant, scope, &family.id, Some(next.clone()))?;
        let plain = serde_json::to_vec(&response).map_err(|e| internal(&e.to_string()))?;
        let replay =
            seal(presented, &plain).ok_or_else(|| internal("sealing the replay failed"))?;
        let rotated = self
            .store
            .rotate_family(Rotation {
                family_id: family.id.clone(),
                from_generation: lookup.generation,
                new_token_hash: digest(&next),
                expires_at: self.family_end(&family.grant, now),
                rotated_at: now,
                replay,
            })
            .await?;
        Ok(rotated.then_some(response))
    }

    /// A token that is no longer current: the previous generation retried within the grace
    /// window gets the same pair; anything else is reuse and revokes the family.
    async fn replay_or_revoke(
        &self,
        presented: &str,
        lookup: &FamilyLookup,
    ) -> Result<TokenResponse, OAuthError> {
        let family = &lookup.family;
        if family.revoked {
            return Err(OAuthError::invalid_grant(
                "the refresh token has been revoked",
            ));
        }
        let grace = self.auth.refresh.reuse_grace_seconds;
        let within_grace = lookup.generation + 1 == family.generation
            && self.now() <= family.rotated_at + grace
            && family.replay.is_some();
        if within_grace
            && self
                .replays
                .count(
                    self.store.as_ref(),
                    &family.id,
                    family.generation,
                    self.now(),
                    grace + 1,
                )
                .await
                > super::replays::MAX_GRACE_REPLAYS
        {
            // A burst of retries past the bound gets no more copies of the pair; the family
            // stays (the retries are the holder's own, racing one rotation).
            audit::record(
                Event::TokenRefreshReplay,
                Some(&family.grant.subject),
                Some(&family.grant.client_id),
                "refused: too many retries of the previous refresh token",
            );
            return Err(OAuthError::invalid_grant(
                "the previous refresh token was retried too many times; use the new one",
            ));
        }
        if within_grace
            && let Some(sealed) = &family.replay
            && let Some(plain) = open(presented, sealed)
            && let Ok(response) = serde_json::from_slice::<TokenResponse>(&plain)
        {
            audit::record(
                Event::TokenRefreshReplay,
                Some(&family.grant.subject),
                Some(&family.grant.client_id),
                "the previous refresh token, within the grace window",
            );
            return Ok(response);
        }
        self.store.revoke_family(&family.id).await?;
        self.end_session_record(&family.id).await;
        audit::record(
            Event::TokenReuseDetected,
            Some(&family.grant.subject),
            Some(&family.grant.client_id),
            "refresh_token",
        );
        crate::metrics::count(crate::metrics::Counter::ReuseDetected, "refresh_token");
        tracing::warn!(target: "frontmcp_auth::oauth", client_id = %family.grant.client_id, "refresh token reuse detected; revoked its family");
        Err(OAuthError::invalid_grant(
            "refresh token reuse detected; this authorization is revoked, sign in again",
        ))
    }
}
