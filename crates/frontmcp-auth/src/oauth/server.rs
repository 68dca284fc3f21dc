//! The authorization server of `local` mode: its state, its issuer and resource, and how it
//! issues tokens. The protocol steps live beside this file, one per endpoint.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::cimd::MetadataDocuments;
use super::error::{ErrorCode, OAuthError};
use crate::clock::Clock;
use crate::secrets::{digest, random_id};
use crate::store::{ClientAuthMethod, ClientRecord, ClientSource, Grant, Store};
use crate::token::{KeyError, Keyring};
use frontmcp_auth_config::{AuthConfig, SecurityConfig, SessionMode};

/// Seconds of clock skew tolerated when verifying this server's own access tokens.
pub const ACCESS_TOKEN_LEEWAY: u64 = 5;

/// A token endpoint response (RFC 6749 §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The access token (a JWT).
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The rotated refresh token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The granted scopes, space separated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// The built-in OAuth 2.1 authorization server.
pub struct AuthorizationServer {
    pub(crate) auth: AuthConfig,
    pub(crate) entry_path: String,
    keyring: RwLock<Keyring>,
    key_born: AtomicU64,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Clock,
    pub(crate) configured_clients: HashMap<String, ClientRecord>,
    pub(crate) documents: MetadataDocuments,
    pub(crate) catalog: Option<Arc<dyn crate::mcp::ToolCatalog>>,
    pub(crate) apps: Vec<String>,
    pub(crate) security: SecurityConfig,
    pub(crate) login: Arc<crate::login::Login>,
    pub(crate) remote: Option<Arc<crate::upstream::RemoteProvider>>,
    pub(crate) federation: Option<Arc<crate::upstream::Federation>>,
    pub(crate) connect: Option<Arc<dyn crate::verify::ConnectLinks>>,
    pub(crate) replays: super::replays::ReplayCounts,
    pub(crate) tool_scopes: Vec<String>,
    pub(crate) userinfo_limit: Option<crate::rate_limit::SharedLimit>,
    pub(crate) machines: super::machines::Machines,
    /// Access tokens that verified (the signature paid once per token); cleared on rotation.
    pub(crate) verified: crate::verify::VerifiedTokens,
    /// Sessions found live, trusted while no revocation happens (stateful mode).
    pub(crate) live_sessions: crate::verify::SessionChecks,
    /// Access tokens verified by signature (the others were served from `verified`).
    pub(crate) signature_checks: AtomicU64,
}

impl std::fmt::Debug for AuthorizationServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizationServer")
            .field("mode", &self.auth.mode)
            .field("entry_path", &self.entry_path)
            .field("configured_clients", &self.configured_clients.len())
            .finish_non_exhaustive()
    }
}

impl AuthorizationServer {
    /// The server for `auth` (a `local` mode configuration) with its routes under
    /// `entry_path`, storing state in `store`.
    ///
    /// # Errors
    ///
    /// When the signing key cannot be loaded or generated.
    pub fn new(
        auth: &AuthConfig,
        entry_path: &str,
        store: Arc<dyn Store>,
        clock: Clock,
    ) -> Result<Self, KeyError> {
        let mut keyring = Keyring::from_config(&auth.local)?;
        if auth.local.key_rotation_days.is_some() {
            // Published now, signing from the first rotation on.
            keyring.prepare_next()?;
        }
        Ok(Self::with_keyring(auth, entry_path, store, clock, keyring))
    }

    /// As [`AuthorizationServer::new`], with a keyring built by the caller.
    pub fn with_keyring(
        auth: &AuthConfig,
        entry_path: &str,
        store: Arc<dyn Store>,
        clock: Clock,
        keyring: Keyring,
    ) -> Self {
        let configured_clients = auth
            .dcr
            .clients
            .iter()
            .map(|client| {
                let record = ClientRecord {
                    client_id: client.client_id.clone(),
                    secret_hash: client.client_secret.as_ref().map(|s| digest(s.expose())),
                    name: client.name.clone(),
                    redirect_uris: client.redirect_uris.clone(),
                    auth_method: if client.client_secret.is_some() {
                        ClientAuthMethod::ClientSecretBasic
                    } else {
                        ClientAuthMethod::None
                    },
                    scope: None,
                    source: ClientSource::Configured,
                    created_at: 0,
                    keep_until: None,
                    registration_token_hash: None,
                };
                (client.client_id.clone(), record)
            })
            .collect();
        let clock_for_machines = clock.clone();
        let documents = MetadataDocuments::with_policy(
            &auth.cimd,
            false,
            &auth.dcr.allowed_redirect_uris,
            clock.clone(),
        );
        Self {
            auth: auth.clone(),
            entry_path: entry_path.to_owned(),
            key_born: AtomicU64::new(clock.now()),
            keyring: RwLock::new(keyring),
            store,
            clock,
            configured_clients,
            documents,
            catalog: None,
            apps: Vec::new(),
            security: SecurityConfig::default(),
            login: Arc::new(crate::login::Login::demo(auth)),
            remote: None,
            federation: None,
            connect: None,
            replays: super::replays::ReplayCounts::default(),
            tool_scopes: Vec::new(),
            userinfo_limit: None,
            machines: super::machines::Machines::from_config(
                auth,
                &crate::upstream::HttpFetcher::default(),
                &clock_for_machines,
            ),
            verified: crate::verify::VerifiedTokens::default(),
            live_sessions: crate::verify::SessionChecks::default(),
            signature_checks: AtomicU64::new(0),
        }
    }

    /// The scopes per-tool requirements need: granted when requested (and shown on the
    /// consent screen), never in the baseline.
    #[must_use]
    pub fn with_tool_scopes(mut self, scopes: Vec<String>) -> Self {
        self.tool_scopes = scopes;
        self
    }

    /// What this server grants.
    pub fn scope_policy(&self) -> super::scope::ScopePolicy {
        super::scope::ScopePolicy::new(
            &self.auth.scopes_supported,
            &self.tool_scopes,
            self.auth.refresh.enabled,
        )
    }

    /// Remote mode: sign users in at this upstream provider instead of the login page.
    pub fn with_remote(mut self, remote: Arc<crate::upstream::RemoteProvider>) -> Self {
        self.remote = Some(remote);
        self
    }

    /// Federation: the upstream providers a local user links at login.
    #[must_use]
    pub fn with_federation(mut self, federation: Arc<crate::upstream::Federation>) -> Self {
        self.federation = Some(federation);
        self.connect = Some(Arc::new(super::tickets::ConnectTickets::new(
            self.store.clone(),
            self.clock.clone(),
        )));
        self
    }

    /// The federated providers, if any.
    pub fn federation(&self) -> Option<&Arc<crate::upstream::Federation>> {
        self.federation.as_ref()
    }

    /// The vault of upstream tokens: remote mode's, or the federated providers'.
    pub(crate) fn vault(&self) -> Option<&Arc<crate::upstream::Vault>> {
        self.remote
            .as_ref()
            .and_then(|r| r.vault.as_ref())
            .or_else(|| self.federation.as_ref().map(|f| &f.vault))
    }

    /// The remote-mode provider, if this server signs in upstream.
    pub fn remote(&self) -> Option<&Arc<crate::upstream::RemoteProvider>> {
        self.remote.as_ref()
    }

    /// The login step (authenticator, backoff, passkeys). Default: the demo login.
    #[must_use]
    pub fn with_login(mut self, login: Arc<crate::login::Login>) -> Self {
        self.login = login;
        self
    }

    /// The ids of the server's apps, in order (progressive authorization authorizes them).
    #[must_use]
    pub fn with_apps(mut self, apps: Vec<String>) -> Self {
        self.apps = apps;
        self
    }

    /// The server-wide security settings: profile, identity rules, admin credential.
    #[must_use]
    pub fn with_security(mut self, security: SecurityConfig) -> Self {
        let limit = security.rate_limits.userinfo;
        self.userinfo_limit = (security.rate_limits_on() && limit.limit > 0).then(|| {
            crate::rate_limit::SharedLimit::new(
                "userinfo-subject",
                limit,
                Some(self.store.clone()),
                self.clock.clone(),
            )
        });
        self.documents = MetadataDocuments::with_policy(
            &self.auth.cimd,
            security.is_production(),
            &self.auth.dcr.allowed_redirect_uris,
            self.clock.clone(),
        );
        self.security = security;
        self
    }

    /// The tools the consent screen offers (without one, the screen offers none).
    #[must_use]
    pub fn with_catalog(mut self, catalog: Arc<dyn crate::mcp::ToolCatalog>) -> Self {
        self.catalog = Some(catalog);
        self
    }

    /// The issuer for a request to `base` (scheme, host and port): `local.issuer` when
    /// configured, else `base` followed by the entry path.
    pub fn issuer(&self, base: &str) -> String {
        match &self.auth.local.issuer {
            Some(issuer) => issuer.trim_end_matches('/').to_owned(),
            None => format!("{base}{}", self.entry_path),
        }
    }

    /// The protected resource (the MCP endpoint) for a request to `base`: the `aud` of tokens.
    pub fn resource(&self, base: &str) -> String {
        format!("{base}{}/mcp", self.entry_path)
    }

    /// The URL of an endpoint of this server, e.g. `endpoint(base, "/oauth/token")`.
    pub fn endpoint(&self, base: &str, path: &str) -> String {
        format!("{}{path}", self.issuer(base))
    }

    /// Whether Dynamic Client Registration is on (`dcr.enabled`; default on, except under the
    /// production profile).
    pub fn registration_enabled(&self) -> bool {
        self.auth
            .dcr
            .enabled
            .unwrap_or(!self.security.is_production())
    }

    /// Whether access tokens are checked against storage (stateful sessions).
    pub fn is_stateful(&self) -> bool {
        self.auth.session_mode == SessionMode::Stateful
    }

    /// How many access tokens the guard's verifier checked by signature since start-up; every
    /// other call was served from its cache of verified tokens. For diagnostics and tests.
    pub fn signature_checks(&self) -> u64 {
        self.signature_checks.load(Ordering::Relaxed)
    }

    /// The current time.
    pub fn now(&self) -> u64 {
        self.clock.now()
    }

    /// The public keys that sign or still verify tokens, as a JWKS.
    pub fn jwks(&self) -> Value {
        self.rotate_if_due();
        self.keyring
            .read()
            .map(|ring| ring.jwks())
            .unwrap_or_else(|_| json!({"keys": []}))
    }

    /// Replaces a generated signing key that is older than `local.key_rotation_days`, keeping
    /// `local.max_keys` keys so tokens signed by the previous ones verify until they expire.
    fn rotate_if_due(&self) {
        let Some(days) = self.auth.local.key_rotation_days else {
            return;
        };
        let now = self.clock.now();
        let born = self.key_born.load(Ordering::SeqCst);
        if now.saturating_sub(born) < days.saturating_mul(86_400) {
            return;
        }
        let Ok(mut ring) = self.keyring.write() else {
            return;
        };
        if !ring.is_generated() || self.key_born.load(Ordering::SeqCst) != born {
            return;
        }
        let max_keys = usize::try_from(self.auth.local.max_keys).unwrap_or(usize::MAX);
        match ring.rotate(max_keys) {
            Ok(()) => {
                self.key_born.store(now, Ordering::SeqCst);
                // A token of a key rotated out must stop verifying at once.
                self.verified.clear();
                tracing::info!(target: "frontmcp_auth::keys", kid = ring.current().map(|k| k.kid()).unwrap_or_default(), "rotated the signing key");
            }
            Err(error) => {
                tracing::error!(target: "frontmcp_auth::keys", "key rotation failed: {error}");
            }
        }
    }

    /// Verifies the signature and expiry of one of this server's tokens; returns its claims.
    pub(crate) fn verify_signature(&self, token: &str) -> Result<Map<String, Value>, String> {
        let now = self.clock.now();
        self.keyring
            .read()
            .map_err(|_| String::from("the keyring is unavailable"))?
            .verify(token, now, ACCESS_TOKEN_LEEWAY)
    }

    /// Signs an access token for `grant` in `family_id`, with `scope` (a subset of the grant's).
    pub(crate) fn access_token(
        &self,
        grant: &Grant,
        scope: &[String],
        family_id: &str,
    ) -> Result<(String, u64), OAuthError> {
        self.rotate_if_due();
        let now = self.clock.now();
        let ttl = self.auth.refresh.access_token_ttl;
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(grant.issuer));
        claims.insert("sub".into(), json!(grant.subject));
        claims.insert("aud".into(), json!(grant.resource));
        claims.insert("exp".into(), json!(now + ttl));
        claims.insert("iat".into(), json!(now));
        claims.insert("auth_time".into(), json!(grant.auth_time));
        claims.insert("jti".into(), json!(random_id()));
        claims.insert("client_id".into(), json!(grant.client_id));
        claims.insert("scope".into(), json!(scope.join(" ")));
        claims.insert("sid".into(), json!(family_id));
        if let Some(email) = &grant.email {
            claims.insert("email".into(), json!(email));
        }
        if let Some(name) = &grant.name {
            claims.insert("name".into(), json!(name));
        }
        if let Some(consent) = &grant.consent {
            claims.insert("consent".into(), json!(consent));
        }
        if let Some(apps) = &grant.authorized_apps {
            claims.insert("authorized_apps".into(), json!(apps));
        }
        if let Some(apps) = &grant.skipped_apps {
            claims.insert("skipped_apps".into(), json!(apps));
        }
        for (name, value) in &grant.claims {
            // Filtered at login; `entry` keeps this server's own claims whatever is stored.
            claims.entry(name.clone()).or_insert_with(|| value.clone());
        }
        let token = self
            .keyring
            .read()
            .map_err(|_| internal("the keyring is unavailable"))?
            .sign(&claims)
            .map_err(|e| internal(&e.to_string()))?;
        Ok((token, ttl))
    }
}

/// An internal failure: logged in full, sent as a bare `server_error`.
pub(crate) fn internal(what: &str) -> OAuthError {
    tracing::error!(target: "frontmcp_auth::oauth", "internal error: {what}");
    OAuthError::new(ErrorCode::ServerError, "internal error")
}
