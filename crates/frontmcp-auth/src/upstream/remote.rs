//! What remote mode runs on: the upstream client, the provider's signing keys for `id_token`s,
//! and (stateful sessions) the vault.

use std::sync::Arc;
use std::time::Duration;

use super::client::UpstreamClient;
use super::fetch::HttpFetcher;
use super::jwks::{JwksCache, JwksOptions, JwksSource, keys_from_jwks};
use super::provider::{Discovery, ProviderSettings};
use super::vault::Vault;
use crate::clock::Clock;
use crate::store::Store;
use frontmcp_auth_config::{AuthConfig, SessionMode};

/// Seconds every upstream call may take.
pub const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(10);

/// The key sealing upstream tokens: `vault_key`, else (loudly) a random key of this process;
/// `None` with stateless sessions, which keep no upstream tokens.
pub(crate) fn vault_key(auth: &AuthConfig) -> Option<String> {
    match auth.session_mode {
        SessionMode::Stateless => None,
        SessionMode::Stateful => Some(match &auth.vault_key {
            Some(key) => key.expose().to_owned(),
            None => {
                tracing::warn!(target: "frontmcp_auth::upstream", "no auth.vault_key: upstream tokens are sealed with a random key of this process; they are lost at restart and unreadable by other instances (set auth.vault_key, e.g. FRONTMCP_AUTH__VAULT_KEY)");
                crate::secrets::random_token()
            }
        }),
    }
}

/// Remote mode's provider.
#[derive(Debug)]
pub struct RemoteProvider {
    /// The client.
    pub client: Arc<UpstreamClient>,
    /// The provider's keys (`id_token` signatures).
    pub keys: Arc<JwksCache>,
    /// The vault; `None` with stateless sessions.
    pub vault: Option<Arc<Vault>>,
}

impl RemoteProvider {
    /// The provider of a remote-mode `auth`, keeping upstream tokens in `store`.
    ///
    /// Without `vault_key`, a random key is made for this process (loudly): upstream tokens
    /// then do not survive a restart, and other instances cannot read them.
    ///
    /// # Errors
    ///
    /// A message when the provider cannot be resolved.
    pub fn build(
        auth: &AuthConfig,
        store: Arc<dyn Store>,
        clock: Clock,
        fetcher: HttpFetcher,
    ) -> Result<Self, String> {
        let settings = Arc::new(ProviderSettings::from_config(auth)?);
        let source = match (&auth.provider_config.jwks, &auth.provider_config.jwks_uri) {
            (Some(jwks), _) => JwksSource::Inline(keys_from_jwks(jwks)),
            (None, Some(uri)) => JwksSource::Uri(uri.clone()),
            (None, None) => JwksSource::Discover(settings.issuer.clone()),
        };
        let keys = Arc::new(JwksCache::new(
            source,
            fetcher.clone(),
            JwksOptions::default(),
            clock.clone(),
        ));
        let discovery = Discovery::new(settings.clone(), fetcher, clock.clone());
        let client = Arc::new(UpstreamClient::new(settings, discovery, UPSTREAM_TIMEOUT));
        let vault = vault_key(auth).map(|key| {
            Arc::new(Vault::new(
                store,
                key,
                vec![client.clone()],
                Some(client.settings().id.clone()),
                clock,
                auth.refresh.skew_seconds,
            ))
        });
        Ok(Self {
            client,
            keys,
            vault,
        })
    }

    /// The provider id (`provider_config.id`, default `default`).
    pub fn id(&self) -> &str {
        &self.client.settings().id
    }
}
