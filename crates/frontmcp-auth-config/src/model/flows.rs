//! Options of the orchestrated flows: refresh, consent, incremental and federated auth, client
//! registration, PKCE and upstream providers.

use serde::Serialize;

use crate::Secret;

/// `refresh(enabled, skew_seconds, access_token_ttl, refresh_token_ttl, rotate_refresh_token,
/// reuse_grace_seconds, sliding)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RefreshConfig {
    /// Issue refresh tokens and refresh upstream tokens silently. Default: `true`.
    pub enabled: bool,
    /// Seconds before expiry at which a token counts as expired (clock skew margin). Default: `60`.
    pub skew_seconds: u64,
    /// Access token lifetime in seconds. Default: `3600`.
    pub access_token_ttl: u64,
    /// Refresh token lifetime in seconds, counted from the login: a family ends then however
    /// often it refreshes (unless `sliding`). Default: `2592000` (30 days).
    pub refresh_token_ttl: u64,
    /// Rotate the refresh token on every use. Default: `true`; `false` is rejected
    /// (OAuth 2.1 and the seeds' checklist require rotation).
    pub rotate_refresh_token: bool,
    /// Seconds during which presenting a just-rotated refresh token again returns the same new
    /// pair instead of revoking the family (a client retrying over a flaky network). Default: `5`;
    /// at most [`MAX_REUSE_GRACE_SECONDS`].
    pub reuse_grace_seconds: u64,
    /// Each refresh extends the family to `refresh_token_ttl` from then, but never past
    /// [`MAX_SLIDING_LIFETIME_SECONDS`] after the login. Default: `false` (the lifetime counts
    /// from the login).
    pub sliding: bool,
}

/// The longest `refresh.reuse_grace_seconds` accepted.
pub const MAX_REUSE_GRACE_SECONDS: u64 = 60;

/// The longest a sliding refresh family lives after its login: 365 days.
pub const MAX_SLIDING_LIFETIME_SECONDS: u64 = 365 * 24 * 3600;

impl Default for RefreshConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            skew_seconds: 60,
            access_token_ttl: 3600,
            refresh_token_ttl: 30 * 24 * 3600,
            rotate_refresh_token: true,
            reuse_grace_seconds: 5,
            sliding: false,
        }
    }
}

/// `consent(...)`: the tool picker shown after login.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConsentConfig {
    /// Show the consent screen and enforce its choice. Default: `false`.
    pub enabled: bool,
    /// Group tools by app. Default: `true`.
    pub group_by_app: bool,
    /// Show each tool's description. Default: `true`.
    pub show_descriptions: bool,
    /// Offer a select-all control. Default: `true`.
    pub allow_select_all: bool,
    /// Refuse to continue with no tool selected. Default: `true`.
    pub require_selection: bool,
    /// A message shown above the list. Default: absent.
    pub custom_message: Option<String>,
    /// Tools always granted and never shown. Default: none.
    pub excluded_tools: Vec<String>,
    /// Tools pre-checked on the screen. Default: none.
    pub default_selected_tools: Vec<String>,
    /// Remember each user's choice per client and skip the screen unless a new tool appears.
    /// Default: `true`.
    pub remember_consent: bool,
}

impl Default for ConsentConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            group_by_app: true,
            show_descriptions: true,
            allow_select_all: true,
            require_selection: true,
            custom_message: None,
            excluded_tools: Vec::new(),
            default_selected_tools: Vec::new(),
            remember_consent: true,
        }
    }
}

/// What happens to an app the user skipped during progressive authorization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum SkippedAppBehavior {
    /// Its tools run with the anonymous scopes. The default.
    #[default]
    Anonymous,
    /// Its tools answer with an authorization-required error until the app is authorized.
    RequireAuth,
}

/// `incremental_auth(enabled, skipped_app_behavior, allow_skip, show_all_apps_at_once)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncrementalAuthConfig {
    /// Authorize apps one at a time, when first needed. Default: `true`.
    pub enabled: bool,
    /// What a skipped app does. Default: `anonymous`.
    pub skipped_app_behavior: SkippedAppBehavior,
    /// Let the user skip an app. Default: `true`.
    pub allow_skip: bool,
    /// Show every app on the first authorization page. Default: `true`.
    pub show_all_apps_at_once: bool,
}

impl Default for IncrementalAuthConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            skipped_app_behavior: SkippedAppBehavior::Anonymous,
            allow_skip: true,
            show_all_apps_at_once: true,
        }
    }
}

/// How the `state` of a federated provider round trip is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum StateValidation {
    /// The returned state must equal the one sent. The default.
    #[default]
    Strict,
    /// Only the state's format is checked.
    Format,
}

/// `federated_auth(state_validation, min_providers, required_providers)`.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct FederatedAuthConfig {
    /// State check of provider round trips. Default: `strict`.
    pub state_validation: StateValidation,
    /// Providers that must be linked before a token is issued.
    /// Default: `1` when providers are configured.
    pub min_providers: Option<u64>,
    /// Provider ids that must all be linked before a token is issued. Default: none.
    pub required_providers: Vec<String>,
}

/// A client registered in configuration (`dcr(clients(...))`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreRegisteredClient {
    /// The client id. Required.
    pub client_id: String,
    /// The client secret of a confidential client. Default: absent (public client, PKCE only).
    pub client_secret: Option<Secret>,
    /// Display name. Default: the client id.
    pub name: Option<String>,
    /// Exact redirect URIs. Required, at least one, unless the client only uses grants without
    /// a browser (`client_credentials`, the ID-JAG's `jwt-bearer`).
    pub redirect_uris: Vec<String>,
    /// Grant types: `authorization_code` (with `refresh_token`), `client_credentials`.
    /// Default: `authorization_code` and `refresh_token`.
    pub grant_types: Vec<String>,
    /// The scopes the client may have; a `client_credentials` token gets these when it asks
    /// for none. Default: none (any the server grants, for user grants).
    pub scopes: Vec<String>,
    /// The client's public keys (a JWKS), for `private_key_jwt` authentication. Default: absent.
    pub jwks: Option<serde_json::Value>,
    /// Where the client publishes its JWKS, for `private_key_jwt`. Default: absent.
    pub jwks_uri: Option<String>,
}

impl PreRegisteredClient {
    /// Whether the client may use `grant_type` (`authorization_code` and `refresh_token` by
    /// default).
    pub fn allows_grant(&self, grant_type: &str) -> bool {
        if self.grant_types.is_empty() {
            matches!(grant_type, "authorization_code" | "refresh_token")
        } else {
            self.grant_types.iter().any(|g| g == grant_type)
        }
    }
}

/// `id_jag(issuers(...))`: enterprise identity providers whose Identity Assertion JWT
/// Authorization Grants (SEP-990, `urn:ietf:params:oauth:grant-type:jwt-bearer` with a
/// `typ: oauth-id-jag+jwt` assertion) this server accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct IdJagConfig {
    /// The trusted issuers. Default: none (the grant is not offered).
    pub issuers: Vec<TrustedIssuer>,
}

/// One enterprise identity provider trusted for ID-JAGs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrustedIssuer {
    /// Its issuer (`iss`). Required.
    pub issuer: String,
    /// Its JWKS URL. Default: discovered from the issuer's metadata.
    pub jwks_uri: Option<String>,
    /// Its keys inline. Default: absent.
    pub jwks: Option<serde_json::Value>,
    /// Signature algorithms accepted. Default: `RS256`, `ES256`.
    pub algorithms: Vec<String>,
}

/// The grant types a pre-registered client may list.
pub const CLIENT_GRANT_TYPES: &[&str] = &[
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
];

/// How long a dynamically registered client lives after its last use, by default: 30 days.
pub const DEFAULT_CLIENT_TTL: u64 = 30 * 24 * 3600;

/// `dcr(enabled, allowed_redirect_uris, initial_access_token, clients, max_dynamic_clients,
/// client_ttl)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DcrConfig {
    /// Accept Dynamic Client Registration. Default: on outside the production profile.
    /// The seeds' `dcrEnabled` is accepted as an alias.
    pub enabled: Option<bool>,
    /// Redirect URIs a registering client may use: exact, or with `*` globs.
    /// Default: none, which allows loopback redirect URIs only.
    pub allowed_redirect_uris: Vec<String>,
    /// A bearer token that registration requests must present. Default: absent.
    pub initial_access_token: Option<Secret>,
    /// Clients registered in configuration. Default: none.
    pub clients: Vec<PreRegisteredClient>,
    /// Upper bound on live dynamically registered clients. Default: `1000`.
    pub max_dynamic_clients: u64,
    /// Seconds a dynamically registered client lives after its last use (registration, an
    /// authorization request, a token request); its grants end with it. `0`: registered
    /// clients never expire. Default: `2592000` (30 days).
    pub client_ttl: u64,
}

impl Default for DcrConfig {
    fn default() -> Self {
        Self {
            enabled: None,
            allowed_redirect_uris: Vec::new(),
            initial_access_token: None,
            clients: Vec::new(),
            max_dynamic_clients: 1000,
            client_ttl: DEFAULT_CLIENT_TTL,
        }
    }
}

/// `cimd(...)`: Client ID Metadata Documents (a `client_id` that is an https URL).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CimdConfig {
    /// Accept URL client ids. Default: `true`.
    pub enabled: bool,
    /// Seconds a document fetch may take. Default: `5`.
    pub fetch_timeout_seconds: u64,
    /// Largest document accepted, in bytes. Default: `5120`.
    pub max_document_bytes: u64,
    /// Longest time a fetched document is cached, in seconds. Default: `3600`.
    pub max_cache_seconds: u64,
    /// Allow documents on private, loopback or link-local addresses (tests only). Default: `false`.
    pub allow_private_targets: bool,
    /// Hosts whose documents are trusted: exact names, or `*.example.com`. Under the
    /// production profile URL client ids are refused unless this lists their host. Default:
    /// none (any public host outside production).
    pub allowed_hosts: Vec<String>,
}

impl CimdConfig {
    /// Whether URL client ids are accepted under `production` (the profile).
    pub fn effective(&self, production: bool) -> bool {
        self.enabled && (!production || !self.allowed_hosts.is_empty())
    }

    /// Whether documents at `host` may be trusted (`allowed_hosts` empty: any host).
    pub fn host_allowed(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        self.allowed_hosts.is_empty()
            || self.allowed_hosts.iter().any(|pattern| {
                let pattern = pattern.to_ascii_lowercase();
                match pattern.strip_prefix("*.") {
                    Some(suffix) => host.ends_with(&format!(".{suffix}")),
                    None => host == pattern,
                }
            })
    }
}

impl Default for CimdConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            fetch_timeout_seconds: 5,
            max_document_bytes: 5120,
            max_cache_seconds: 3600,
            allow_private_targets: false,
            allowed_hosts: Vec::new(),
        }
    }
}

/// `pkce(method)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PkceConfig {
    /// The only accepted code challenge method. Default: `"S256"`; anything else is rejected.
    pub method: String,
}

impl Default for PkceConfig {
    fn default() -> Self {
        Self {
            method: "S256".to_owned(),
        }
    }
}

/// One upstream OAuth provider in local mode (`providers(github(...), ...)`), linked to the
/// local user's session at login (federation, `docs/federation.md`).
///
/// Its endpoints come from, in order: the keys given here, the OpenID discovery of `issuer`,
/// and the preset (`preset`, or the id when it names one and no endpoint or issuer is given).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpstreamProvider {
    /// The provider id, unique. Required.
    pub id: String,
    /// Display name. Default: the preset's display name, else the id.
    pub name: Option<String>,
    /// A preset: `github`, `slack`, `jira`, `google`, `entra`, ... Default: the id when it
    /// names a preset and neither `issuer` nor the endpoints are given; else none.
    pub preset: Option<String>,
    /// The issuer of an OpenID provider: its endpoints are discovered and its `id_token`s
    /// verified. Default: the preset's; absent for a plain OAuth 2.0 provider.
    pub issuer: Option<String>,
    /// Authorization endpoint URL. Default: the preset's, or discovered from `issuer`.
    pub authorization_endpoint: Option<String>,
    /// Token endpoint URL. Default: the preset's, or discovered from `issuer`.
    pub token_endpoint: Option<String>,
    /// Client id at the provider. Required.
    pub client_id: String,
    /// Client secret at the provider. Default: absent (a public client, PKCE only).
    pub client_secret: Option<Secret>,
    /// Scopes requested. Default: the preset's, `["openid"]` with an `issuer`, else none.
    pub scopes: Vec<String>,
    /// User info endpoint URL. Default: the preset's, or discovered from `issuer`.
    pub user_info_endpoint: Option<String>,
    /// JWKS URL for ID tokens. Default: discovered from `issuer`.
    pub jwks_uri: Option<String>,
}
