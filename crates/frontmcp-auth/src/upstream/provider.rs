//! Remote mode's upstream provider: its settings (a preset filled in and overridden by
//! configuration) and its endpoints (given, or discovered: RFC 8414, then OpenID discovery),
//! cached for an hour; a failed discovery is retried on the next sign-in.

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::Mutex;

use super::fetch::HttpFetcher;
use super::jwks::metadata_urls;
use crate::clock::Clock;
use frontmcp_auth_config::rules::remote_preset;
use frontmcp_auth_config::{
    AuthConfig, PresetIssuer, ProviderPreset, Secret, UpstreamAuthMethod, UpstreamProvider,
    federated_preset, is_url,
};

/// Seconds discovered endpoints are reused.
const DISCOVERY_TTL: u64 = 3600;

/// What remote mode knows about its provider before any request.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    /// The provider id tools name (`provider_config.id`, default `default`).
    pub id: String,
    /// The display name.
    pub display: String,
    /// The preset (the generic OpenID one for a URL of no known provider).
    pub preset: &'static ProviderPreset,
    /// The issuer.
    pub issuer: String,
    /// This server's client id there.
    pub client_id: String,
    /// This server's client secret there.
    pub client_secret: Option<Secret>,
    /// Scopes requested.
    pub scopes: Vec<String>,
    /// Extra authorization parameters (the preset's, then configuration's).
    pub authorization_params: Vec<(String, String)>,
    /// The configured token endpoint authentication, if any.
    pub auth_method: Option<UpstreamAuthMethod>,
    /// Endpoints given in configuration.
    pub configured: Endpoints,
    /// Also accepted as `iss`.
    pub additional_issuers: Vec<String>,
    /// Check `iss`.
    pub verify_issuer: bool,
}

/// The provider's endpoints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    /// Authorization endpoint.
    pub authorization: Option<String>,
    /// Token endpoint.
    pub token: Option<String>,
    /// Userinfo endpoint.
    pub userinfo: Option<String>,
    /// Revocation endpoint.
    pub revocation: Option<String>,
    /// Token endpoint authentication methods the provider lists.
    pub auth_methods: Vec<String>,
}

impl Endpoints {
    /// The endpoints a preset names (providers without discovery).
    fn of_preset(preset: &ProviderPreset) -> Endpoints {
        Endpoints {
            authorization: preset.authorization_endpoint.map(str::to_owned),
            token: preset.token_endpoint.map(str::to_owned),
            userinfo: preset.userinfo_endpoint.map(str::to_owned),
            ..Endpoints::default()
        }
    }

    /// `self`, with what it lacks taken from `other`.
    fn or(self, other: Endpoints) -> Endpoints {
        Endpoints {
            authorization: self.authorization.or(other.authorization),
            token: self.token.or(other.token),
            userinfo: self.userinfo.or(other.userinfo),
            revocation: self.revocation.or(other.revocation),
            auth_methods: if self.auth_methods.is_empty() {
                other.auth_methods
            } else {
                self.auth_methods
            },
        }
    }
}

impl ProviderSettings {
    /// The settings of a remote-mode `auth` (already validated by the rulebook).
    ///
    /// # Errors
    ///
    /// A message when the provider cannot be resolved (an unknown preset).
    pub fn from_config(auth: &AuthConfig) -> Result<Self, String> {
        let provider = auth.provider.clone().unwrap_or_default();
        let preset = remote_preset(auth)
            .ok_or_else(|| format!("`{provider}` is neither a provider preset nor a URL"))?;
        let config = &auth.provider_config;
        let issuer = if is_url(&provider) {
            provider.clone()
        } else {
            match preset.issuer {
                PresetIssuer::Fixed(issuer) => issuer.to_owned(),
                PresetIssuer::Tenant {
                    template,
                    default_tenant,
                } => template.replace(
                    "{tenant}",
                    config.tenant.as_deref().unwrap_or(default_tenant),
                ),
                PresetIssuer::PerCustomer { .. } => config
                    .issuer
                    .clone()
                    .ok_or_else(|| format!("`{provider}` needs provider_config.issuer"))?,
            }
        };
        let mut authorization_params: Vec<(String, String)> = preset
            .authorization_params
            .iter()
            .filter(|(name, _)| !config.authorization_params.contains_key(*name))
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        authorization_params.extend(
            config
                .authorization_params
                .iter()
                .map(|(name, value)| (name.clone(), value.clone())),
        );
        let scopes = if auth.scopes.is_empty() {
            preset.scopes.iter().map(|s| (*s).to_owned()).collect()
        } else {
            auth.scopes.clone()
        };
        let given = Endpoints {
            authorization: config.authorization_endpoint.clone(),
            token: config.token_endpoint.clone(),
            userinfo: config.userinfo_endpoint.clone(),
            revocation: config.revocation_endpoint.clone(),
            auth_methods: Vec::new(),
        };
        Ok(Self {
            id: config.id.clone().unwrap_or_else(|| String::from("default")),
            display: config
                .name
                .clone()
                .unwrap_or_else(|| preset.display.to_owned()),
            preset,
            issuer,
            client_id: auth.client_id.clone().unwrap_or_default(),
            client_secret: auth.client_secret.clone(),
            scopes,
            authorization_params,
            auth_method: config.token_endpoint_auth_method,
            configured: given.or(Endpoints::of_preset(preset)),
            additional_issuers: config.additional_issuers.clone(),
            verify_issuer: config.verify_issuer,
        })
    }

    /// The settings of a federated provider of local mode (already validated by the
    /// rulebook): its preset filled in, the keys given winning.
    ///
    /// # Errors
    ///
    /// A message when nothing gives the provider's endpoints.
    pub fn from_federated(provider: &UpstreamProvider) -> Result<Self, String> {
        let preset = federated_preset(provider)?;
        let issuer = match (&provider.issuer, preset.issuer) {
            (Some(issuer), _) => issuer.clone(),
            (None, PresetIssuer::Fixed(issuer)) => issuer.to_owned(),
            (None, _) => String::new(),
        };
        let scopes = if provider.scopes.is_empty() {
            preset.scopes.iter().map(|s| (*s).to_owned()).collect()
        } else {
            provider.scopes.clone()
        };
        let given = Endpoints {
            authorization: provider.authorization_endpoint.clone(),
            token: provider.token_endpoint.clone(),
            userinfo: provider.user_info_endpoint.clone(),
            ..Endpoints::default()
        };
        Ok(Self {
            id: provider.id.clone(),
            display: provider.name.clone().unwrap_or_else(|| match preset.name {
                "openid" | "oauth2" => provider.id.clone(),
                _ => preset.display.to_owned(),
            }),
            preset,
            issuer,
            client_id: provider.client_id.clone(),
            client_secret: provider.client_secret.clone(),
            scopes,
            authorization_params: preset
                .authorization_params
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
            auth_method: None,
            configured: given.or(Endpoints::of_preset(preset)),
            additional_issuers: Vec::new(),
            verify_issuer: true,
        })
    }

    /// Whether the provider speaks OpenID Connect.
    pub fn openid(&self) -> bool {
        self.preset.openid
    }

    /// How to authenticate at the token endpoint: configuration, else the first of the
    /// provider's methods this server has, else `client_secret_basic`; `none` without a secret.
    pub fn auth_method(&self, endpoints: &Endpoints) -> UpstreamAuthMethod {
        if let Some(method) = self.auth_method {
            return method;
        }
        if self.client_secret.is_none() {
            return UpstreamAuthMethod::None;
        }
        let listed = endpoints
            .auth_methods
            .iter()
            .find_map(|m| match m.as_str() {
                "client_secret_basic" => Some(UpstreamAuthMethod::ClientSecretBasic),
                "client_secret_post" => Some(UpstreamAuthMethod::ClientSecretPost),
                _ => None,
            });
        listed.unwrap_or(UpstreamAuthMethod::ClientSecretBasic)
    }

    /// Whether `iss` is this provider's: the issuer, an additional one, or for Entra's
    /// multi-tenant endpoints the user's own tenant (`{tid}` of the token).
    pub fn issuer_matches(&self, iss: &str, tid: Option<&str>) -> bool {
        if !self.verify_issuer {
            return true;
        }
        if iss == self.issuer || self.additional_issuers.iter().any(|i| i == iss) {
            return true;
        }
        let multi_tenant = ["common", "organizations", "consumers"];
        matches!(self.preset.issuer, PresetIssuer::Tenant { .. })
            && multi_tenant
                .iter()
                .any(|t| self.issuer.contains(&format!("/{t}/")))
            && tid.is_some_and(|tid| {
                !tid.is_empty()
                    && tid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && multi_tenant
                        .iter()
                        .any(|t| self.issuer.replace(&format!("/{t}/"), &format!("/{tid}/")) == iss)
            })
    }
}

/// Why the endpoints are not known.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the identity provider's metadata could not be read: {0}")]
pub struct DiscoveryError(pub String);

/// The provider's endpoints, discovered once and cached.
#[derive(Debug)]
pub struct Discovery {
    settings: Arc<ProviderSettings>,
    fetcher: HttpFetcher,
    clock: Clock,
    cached: Mutex<Option<(Arc<Endpoints>, u64)>>,
}

impl Discovery {
    /// Discovery of `settings`' provider with `fetcher`.
    pub fn new(settings: Arc<ProviderSettings>, fetcher: HttpFetcher, clock: Clock) -> Self {
        Self {
            settings,
            fetcher,
            clock,
            cached: Mutex::new(None),
        }
    }

    /// Whether configuration gives every endpoint needed, so nothing is fetched.
    fn complete_without_discovery(&self) -> bool {
        let given = &self.settings.configured;
        given.authorization.is_some() && given.token.is_some() && !self.settings.openid()
    }

    /// The endpoints discovered so far, without waiting or fetching.
    pub fn known(&self) -> Option<Arc<Endpoints>> {
        self.cached
            .try_lock()
            .ok()?
            .as_ref()
            .map(|(endpoints, _)| endpoints.clone())
    }

    /// The endpoints: given ones win; the rest discovered (cached for an hour).
    ///
    /// # Errors
    ///
    /// When the metadata cannot be fetched, or lacks the authorization or token endpoint.
    pub async fn endpoints(&self) -> Result<Arc<Endpoints>, DiscoveryError> {
        let now = self.clock.now();
        let mut cached = self.cached.lock().await;
        if let Some((endpoints, at)) = cached.as_ref()
            && now < at + DISCOVERY_TTL
        {
            return Ok(endpoints.clone());
        }
        let discovered = if self.complete_without_discovery() {
            Endpoints::default()
        } else {
            match self.discover().await {
                Ok(found) => found,
                // A stale copy beats none while the provider's metadata is unreachable.
                Err(e) => match cached.as_ref() {
                    Some((endpoints, _)) => return Ok(endpoints.clone()),
                    None => return Err(e),
                },
            }
        };
        let endpoints = self.settings.configured.clone().or(discovered);
        if endpoints.authorization.is_none() || endpoints.token.is_none() {
            return Err(DiscoveryError(String::from(
                "no authorization or token endpoint: set provider_config.authorization_endpoint and token_endpoint",
            )));
        }
        let endpoints = Arc::new(endpoints);
        *cached = Some((endpoints.clone(), now));
        Ok(endpoints)
    }

    async fn discover(&self) -> Result<Endpoints, DiscoveryError> {
        let mut last = String::from("no metadata URL");
        for url in metadata_urls(&self.settings.issuer) {
            match self.fetcher.get_json(&url).await {
                Ok(document) => return self.read_metadata(&document),
                Err(e) => last = e.to_string(),
            }
        }
        Err(DiscoveryError(last))
    }

    fn read_metadata(&self, document: &Value) -> Result<Endpoints, DiscoveryError> {
        let text = |name: &str| {
            document
                .get(name)
                .and_then(Value::as_str)
                .filter(|v| v.starts_with("https://") || v.starts_with("http://"))
                .map(str::to_owned)
        };
        let issuer = document
            .get("issuer")
            .and_then(Value::as_str)
            .unwrap_or_default();
        // OpenID Discovery §4.3: the metadata must be the configured issuer's (Entra's
        // multi-tenant documents name a `{tenantid}` template instead).
        if self.settings.verify_issuer
            && issuer != self.settings.issuer
            && !issuer.contains("{tenantid}")
        {
            return Err(DiscoveryError(format!(
                "the metadata names issuer `{issuer}`, not `{}`",
                self.settings.issuer
            )));
        }
        Ok(Endpoints {
            authorization: text("authorization_endpoint"),
            token: text("token_endpoint"),
            userinfo: text("userinfo_endpoint"),
            revocation: text("revocation_endpoint"),
            auth_methods: document
                .get("token_endpoint_auth_methods_supported")
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(provider: &str) -> AuthConfig {
        AuthConfig {
            mode: frontmcp_auth_config::AuthMode::Remote,
            provider: Some(provider.to_owned()),
            client_id: Some("ours".into()),
            ..AuthConfig::default()
        }
    }

    #[test]
    fn presets_fill_issuer_scopes_and_parameters() {
        let google = ProviderSettings::from_config(&remote("google")).expect("google");
        assert_eq!(google.issuer, "https://accounts.google.com");
        assert_eq!(google.scopes, ["openid", "profile", "email"]);
        assert!(
            google
                .authorization_params
                .contains(&("access_type".into(), "offline".into()))
        );
        let github = ProviderSettings::from_config(&remote("github")).expect("github");
        assert!(!github.openid());
        assert_eq!(
            github.configured.token.as_deref(),
            Some("https://github.com/login/oauth/access_token")
        );
        let mut entra = remote("entra");
        entra.provider_config.tenant = Some("contoso.onmicrosoft.com".into());
        let entra = ProviderSettings::from_config(&entra).expect("entra");
        assert_eq!(
            entra.issuer,
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0"
        );
        let mut overridden = remote("google");
        overridden
            .provider_config
            .authorization_params
            .insert("prompt".into(), "select_account".into());
        let overridden = ProviderSettings::from_config(&overridden).expect("google");
        let prompts: Vec<_> = overridden
            .authorization_params
            .iter()
            .filter(|(n, _)| n == "prompt")
            .collect();
        assert_eq!(
            prompts,
            [&("prompt".to_owned(), "select_account".to_owned())]
        );
    }

    fn federated(id: &str) -> UpstreamProvider {
        UpstreamProvider {
            id: id.into(),
            name: None,
            preset: None,
            issuer: None,
            authorization_endpoint: None,
            token_endpoint: None,
            client_id: "ours".into(),
            client_secret: Some(Secret::new("s")),
            scopes: Vec::new(),
            user_info_endpoint: None,
            jwks_uri: None,
        }
    }

    #[test]
    fn federated_providers_take_their_preset_then_an_issuer_then_endpoints() {
        let github = ProviderSettings::from_federated(&federated("github")).expect("github");
        assert!(!github.openid());
        assert_eq!(github.display, "GitHub");
        assert_eq!(
            github.configured.userinfo.as_deref(),
            Some("https://api.github.com/user")
        );
        let slack = ProviderSettings::from_federated(&federated("slack")).expect("slack");
        assert!(slack.openid());
        assert_eq!(slack.issuer, "https://slack.com");
        let jira = ProviderSettings::from_federated(&federated("jira")).expect("jira");
        assert!(
            jira.authorization_params
                .contains(&("audience".into(), "api.atlassian.com".into()))
        );
        assert!(jira.scopes.contains(&"offline_access".to_owned()));
        // An issuer wins over the preset an id names: any OpenID provider under that id.
        let stand_in = UpstreamProvider {
            issuer: Some("http://127.0.0.1:9".into()),
            ..federated("github")
        };
        let stand_in = ProviderSettings::from_federated(&stand_in).expect("issuer");
        assert!(stand_in.openid());
        assert_eq!(stand_in.display, "github");
        let plain = UpstreamProvider {
            authorization_endpoint: Some("https://auth.example.com/authorize".into()),
            token_endpoint: Some("https://auth.example.com/token".into()),
            ..federated("corp")
        };
        let plain = ProviderSettings::from_federated(&plain).expect("endpoints");
        assert!(!plain.openid());
        assert!(ProviderSettings::from_federated(&federated("corp")).is_err());
    }

    #[test]
    fn entra_common_accepts_the_users_own_tenant_only() {
        let common = ProviderSettings::from_config(&remote("entra")).expect("entra");
        let tid = "9188040d-6c67-4c5b-b112-36a304b66dad";
        let own = format!("https://login.microsoftonline.com/{tid}/v2.0");
        assert!(common.issuer_matches(&own, Some(tid)));
        assert!(!common.issuer_matches(&own, Some("another-tenant")));
        assert!(!common.issuer_matches("https://evil.example/v2.0", Some(tid)));
        let generic = ProviderSettings::from_config(&remote("http://127.0.0.1:9")).expect("url");
        assert!(!generic.issuer_matches(&own, Some(tid)));
        assert!(generic.issuer_matches("http://127.0.0.1:9", None));
    }

    #[test]
    fn the_auth_method_follows_configuration_then_metadata() {
        let mut auth = remote("http://127.0.0.1:9");
        let public = ProviderSettings::from_config(&auth).expect("public");
        assert_eq!(
            public.auth_method(&Endpoints::default()),
            UpstreamAuthMethod::None
        );
        auth.client_secret = Some(Secret::new("s"));
        let confidential = ProviderSettings::from_config(&auth).expect("confidential");
        let post_only = Endpoints {
            auth_methods: vec!["private_key_jwt".into(), "client_secret_post".into()],
            ..Endpoints::default()
        };
        assert_eq!(
            confidential.auth_method(&post_only),
            UpstreamAuthMethod::ClientSecretPost
        );
        assert_eq!(
            confidential.auth_method(&Endpoints::default()),
            UpstreamAuthMethod::ClientSecretBasic
        );
    }
}
