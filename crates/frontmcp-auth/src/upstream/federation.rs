//! Federation (local mode's `providers`): the upstream providers a local user links to their
//! session at login, each with its client and signing keys, and the vault keeping every linked
//! provider's tokens under the session (see `docs/federation.md`).

use std::sync::Arc;

use super::client::UpstreamClient;
use super::fetch::HttpFetcher;
use super::jwks::{JwksCache, JwksOptions, JwksSource};
use super::provider::{Discovery, ProviderSettings};
use super::remote::{UPSTREAM_TIMEOUT, vault_key};
use super::vault::Vault;
use crate::clock::Clock;
use crate::store::Store;
use frontmcp_auth_config::AuthConfig;

/// One federated provider.
#[derive(Debug)]
pub struct FederatedProvider {
    /// Its client.
    pub client: Arc<UpstreamClient>,
    /// Its signing keys (`id_token`s of OpenID providers).
    pub keys: Arc<JwksCache>,
    /// Whether `federated_auth.required_providers` names it.
    pub required: bool,
}

impl FederatedProvider {
    /// The provider id.
    pub fn id(&self) -> &str {
        &self.client.settings().id
    }

    /// The display name.
    pub fn display(&self) -> &str {
        &self.client.settings().display
    }
}

/// The federated providers of a local-mode server, and their gate.
#[derive(Debug)]
pub struct Federation {
    /// The providers, in configuration order.
    pub providers: Vec<FederatedProvider>,
    /// The vault of linked providers' tokens.
    pub vault: Arc<Vault>,
    /// `federated_auth.min_providers` (default 1).
    pub min_providers: usize,
    /// `federated_auth.required_providers`.
    pub required: Vec<String>,
}

impl Federation {
    /// The federation of a local-mode `auth` with providers (validated by the rulebook),
    /// keeping linked tokens in `store`. `None` without providers.
    ///
    /// # Errors
    ///
    /// A message when a provider cannot be resolved, or sessions are stateless.
    pub fn build(
        auth: &AuthConfig,
        store: Arc<dyn Store>,
        clock: Clock,
        fetcher: HttpFetcher,
    ) -> Result<Option<Self>, String> {
        if auth.providers.is_empty() {
            return Ok(None);
        }
        let key = vault_key(auth).ok_or_else(|| {
            String::from("federated providers need stateful sessions (their tokens are kept in the session's vault)")
        })?;
        let mut providers = Vec::new();
        for provider in &auth.providers {
            let settings = Arc::new(
                ProviderSettings::from_federated(provider)
                    .map_err(|e| format!("auth.providers `{}`: {e}", provider.id))?,
            );
            let source = match &provider.jwks_uri {
                Some(uri) => JwksSource::Uri(uri.clone()),
                None => JwksSource::Discover(settings.issuer.clone()),
            };
            let keys = Arc::new(JwksCache::new(
                source,
                fetcher.clone(),
                JwksOptions::default(),
                clock.clone(),
            ));
            let discovery = Discovery::new(settings.clone(), fetcher.clone(), clock.clone());
            providers.push(FederatedProvider {
                client: Arc::new(UpstreamClient::new(settings, discovery, UPSTREAM_TIMEOUT)),
                keys,
                required: auth
                    .federated_auth
                    .required_providers
                    .contains(&provider.id),
            });
        }
        let vault = Arc::new(Vault::new(
            store,
            key,
            providers.iter().map(|p| p.client.clone()).collect(),
            None,
            clock,
            auth.refresh.skew_seconds,
        ));
        let min_providers = auth
            .federated_auth
            .min_providers
            .map_or(1, |n| usize::try_from(n).unwrap_or(usize::MAX));
        Ok(Some(Self {
            providers,
            vault,
            min_providers,
            required: auth.federated_auth.required_providers.clone(),
        }))
    }

    /// The origins of every provider's authorization (the login page's `form-action`).
    pub fn form_targets(&self) -> Vec<String> {
        let mut origins: Vec<String> = self
            .providers
            .iter()
            .flat_map(|p| p.client.authorization_origins())
            .collect();
        origins.sort();
        origins.dedup();
        origins
    }

    /// Reads every provider's metadata once in the background, so the login page knows where
    /// the browser will be sent.
    pub fn warm_up(&self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        for provider in &self.providers {
            let client = provider.client.clone();
            runtime.spawn(async move {
                if let Err(e) = client.endpoints().await {
                    tracing::warn!(target: "frontmcp_auth::upstream", provider = %client.settings().id, error = %e, "cannot read a federated provider's metadata yet");
                }
            });
        }
    }

    /// The provider `id`.
    pub fn provider(&self, id: &str) -> Option<&FederatedProvider> {
        self.providers.iter().find(|p| p.id() == id)
    }

    /// Why `linked` does not open the gate (`min_providers`, `required_providers`), or `None`
    /// when it does.
    pub fn gate(&self, linked: &[String]) -> Option<String> {
        let missing: Vec<&str> = self
            .required
            .iter()
            .filter(|id| !linked.contains(id))
            .map(|id| {
                self.provider(id)
                    .map_or(id.as_str(), FederatedProvider::display)
            })
            .collect();
        if !missing.is_empty() {
            return Some(format!(
                "this server requires linking {}; not linked: {}",
                self.required
                    .iter()
                    .map(|id| self
                        .provider(id)
                        .map_or(id.as_str(), FederatedProvider::display))
                    .collect::<Vec<_>>()
                    .join(", "),
                missing.join(", ")
            ));
        }
        (linked.len() < self.min_providers).then(|| {
            format!(
                "this server requires at least {} linked provider(s); {} linked",
                self.min_providers,
                linked.len()
            )
        })
    }
}
