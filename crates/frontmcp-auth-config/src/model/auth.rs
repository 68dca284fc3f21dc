//! `auth(...)`: the four modes and every option they take.

use serde::Serialize;

use super::{
    CimdConfig, ConsentConfig, DcrConfig, FederatedAuthConfig, IdJagConfig, IncrementalAuthConfig,
    LocalSigningConfig, LoginConfig, PkceConfig, RefreshConfig, TokenStorage, UpstreamProvider,
};
use crate::Secret;

/// `auth.mode`: how requests are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    /// No authentication; every request gets an anonymous session. The default.
    #[default]
    Public,
    /// Verify tokens issued by an external identity provider.
    Transparent,
    /// A built-in OAuth 2.1 authorization server with a login page
    /// (the seeds' `mode = "orchestrated", type = "local"`).
    Local,
    /// An OAuth 2.1 authorization server that delegates login to an upstream provider
    /// (the seeds' `mode = "orchestrated", type = "remote"`).
    Remote,
}

impl AuthMode {
    /// The mode's name as written in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::Public => "public",
            AuthMode::Transparent => "transparent",
            AuthMode::Local => "local",
            AuthMode::Remote => "remote",
        }
    }

    /// Whether the server runs its own authorization server (`local` or `remote`).
    pub fn is_orchestrated(self) -> bool {
        matches!(self, AuthMode::Local | AuthMode::Remote)
    }
}

/// `auth.session_mode`: where session state lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SessionMode {
    /// Tokens and refresh state on the server; silent refresh. The default.
    #[default]
    Stateful,
    /// Everything inside the signed token; no server-side refresh of upstream tokens.
    Stateless,
}

/// Which tools, prompts or resources a public server exposes without a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ToolAccess {
    /// Every one. The default.
    #[default]
    All,
    /// Only these names; the rest need a token.
    Only(Vec<String>),
}

/// `public_access(tools, prompts, resources, rate_limit)` in public mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicAccess {
    /// Tools callable without a token. Default: `"all"`.
    pub tools: ToolAccess,
    /// Prompts readable without a token. Default: `"all"`.
    pub prompts: ToolAccess,
    /// Resources readable without a token, by URI or URI template. Default: `"all"`.
    pub resources: ToolAccess,
    /// Requests per client IP per minute. Default: `60`.
    pub rate_limit: u64,
}

impl Default for PublicAccess {
    fn default() -> Self {
        Self {
            tools: ToolAccess::All,
            prompts: ToolAccess::All,
            resources: ToolAccess::All,
            rate_limit: 60,
        }
    }
}

/// `provider_config(...)`: details of the upstream identity provider.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderConfig {
    /// Display name. Default: absent.
    pub name: Option<String>,
    /// Provider id. Default: absent.
    pub id: Option<String>,
    /// Inline JWKS for offline verification. Default: absent (keys are fetched).
    pub jwks: Option<serde_json::Value>,
    /// JWKS endpoint. Default: discovered from the provider's metadata.
    pub jwks_uri: Option<String>,
    /// Further accepted `iss` values besides `provider`. Default: none.
    pub additional_issuers: Vec<String>,
    /// Check the `iss` claim. Default: `true`.
    pub verify_issuer: bool,
    /// Remote: the issuer of a per-customer preset (`auth0`, `okta`, `keycloak`, `cognito`).
    /// Default: absent (`provider` is then the issuer URL).
    pub issuer: Option<String>,
    /// Remote: the Microsoft Entra tenant of `provider = "entra"`. Default: `common`.
    pub tenant: Option<String>,
    /// Remote: the upstream authorization endpoint. Default: discovered.
    pub authorization_endpoint: Option<String>,
    /// Remote: the upstream token endpoint. Default: discovered.
    pub token_endpoint: Option<String>,
    /// Remote: the upstream userinfo endpoint. Default: discovered.
    pub userinfo_endpoint: Option<String>,
    /// Remote: the upstream revocation endpoint (RFC 7009). Default: discovered; absent means
    /// upstream tokens are not revoked with our sessions.
    pub revocation_endpoint: Option<String>,
    /// Remote: how this server authenticates at the upstream token endpoint.
    /// Default: what the provider's metadata lists first (`client_secret_basic` without it),
    /// `none` without a client secret.
    pub token_endpoint_auth_method: Option<UpstreamAuthMethod>,
    /// Remote: extra parameters of the upstream authorization request (`audience`, `prompt`,
    /// ...). Default: the preset's.
    pub authorization_params: std::collections::BTreeMap<String, String>,
}

/// How this server authenticates at an upstream token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UpstreamAuthMethod {
    /// HTTP Basic with the client id and secret.
    ClientSecretBasic,
    /// The client id and secret in the form body.
    ClientSecretPost,
    /// A public client: the client id only (PKCE protects the code).
    None,
}

impl UpstreamAuthMethod {
    /// The name used in metadata and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            UpstreamAuthMethod::ClientSecretBasic => "client_secret_basic",
            UpstreamAuthMethod::ClientSecretPost => "client_secret_post",
            UpstreamAuthMethod::None => "none",
        }
    }
}

impl Default for ProviderConfig {
    fn default() -> Self {
        Self {
            name: None,
            id: None,
            jwks: None,
            jwks_uri: None,
            additional_issuers: Vec::new(),
            verify_issuer: true,
            issuer: None,
            tenant: None,
            authorization_endpoint: None,
            token_endpoint: None,
            userinfo_endpoint: None,
            revocation_endpoint: None,
            token_endpoint_auth_method: None,
            authorization_params: std::collections::BTreeMap::new(),
        }
    }
}

/// An expected audience: one value or several.
pub type Audience = Vec<String>;

/// `auth(...)`: one flat record for all four modes.
///
/// Each option applies to the modes listed in [`AuthConfig::MODE_OPTIONS`]; the rulebook rejects
/// an option set in another mode, so every field here is either used by its mode or was never set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthConfig {
    /// The mode. Default: `public`.
    pub mode: AuthMode,

    /// Public: anonymous session lifetime in seconds. Default: `3600`.
    pub session_ttl: u64,
    /// Public: what is reachable without a token.
    pub public_access: PublicAccess,
    /// All modes: scopes of anonymous sessions. Default: `["anonymous"]`.
    pub anonymous_scopes: Vec<String>,

    /// Transparent, remote: base URL (issuer) of the identity provider, or in remote mode a
    /// preset name (`google`, `github`, `entra`, `auth0`, `okta`, `keycloak`, `cognito`).
    /// Required there.
    pub provider: Option<String>,
    /// Transparent, remote: provider details.
    pub provider_config: ProviderConfig,

    /// Transparent: accepted `aud` values. Required there.
    pub expected_audience: Audience,
    /// Transparent: reject tokens without an `aud` claim. Default: `true`.
    pub require_audience: bool,
    /// Transparent: scopes every token must carry. Default: none.
    pub required_scopes: Vec<String>,
    /// Transparent: let requests without a token through as anonymous. Default: `false`.
    pub allow_anonymous: bool,

    /// Local, remote: where session state lives. Default: `stateful`.
    pub session_mode: SessionMode,
    /// Local, remote: token storage backend. Default: `memory`.
    pub token_storage: TokenStorage,
    /// Local, remote: token signing keys.
    pub local: LocalSigningConfig,
    /// Local, remote: token lifetimes and refresh.
    pub refresh: RefreshConfig,
    /// Local, remote: the tool consent screen.
    pub consent: ConsentConfig,
    /// Local, remote: let tokenless MCP requests through as anonymous. Default: `false`.
    pub allow_default_public: bool,
    /// Local, remote: progressive authorization per app.
    pub incremental_auth: IncrementalAuthConfig,
    /// Local, remote: the federated login gate.
    pub federated_auth: FederatedAuthConfig,
    /// Local, remote: Dynamic Client Registration.
    pub dcr: DcrConfig,
    /// Local, remote: Client ID Metadata Documents.
    pub cimd: CimdConfig,
    /// Local, remote: only registered clients (DCR, pre-registered or CIMD) may authorize.
    /// Default: `true`.
    pub require_registered_clients: bool,
    /// Local, remote: PKCE settings.
    pub pkce: PkceConfig,

    /// Local: the login form requires an email address. Default: `true`.
    pub require_email: bool,
    /// Local: the subject used when the login form is submitted without an email
    /// (single-operator servers; needs `require_email = false`). Default: absent.
    pub anonymous_subject: Option<String>,
    /// Local: upstream OAuth providers to federate. Default: none.
    pub providers: Vec<UpstreamProvider>,
    /// Local: who verifies the login form, and the built-in directory's settings.
    pub login: LoginConfig,

    /// Remote: the client id registered at the upstream provider. Required there.
    pub client_id: Option<String>,
    /// Remote: the client secret at the upstream provider. Default: absent (public client).
    pub client_secret: Option<Secret>,
    /// Local, remote: the scopes this server grants besides `profile`, `email`, the per-tool
    /// scopes and `offline_access` (with refresh); any other requested scope is `invalid_scope`.
    /// Default: none.
    pub scopes_supported: Vec<String>,
    /// Local, remote: enterprise identity providers whose ID-JAGs are exchanged for tokens.
    pub id_jag: IdJagConfig,
    /// Remote: scopes requested from the upstream provider.
    /// Default: the preset's (`["openid", "profile", "email"]` for any OpenID provider).
    pub scopes: Vec<String>,
    /// Remote, and local with providers: the key sealing upstream tokens in the vault (at least 32 characters).
    /// Default: absent, a random key per process (refused by the production profile).
    pub vault_key: Option<Secret>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            mode: AuthMode::Public,
            session_ttl: 3600,
            public_access: PublicAccess::default(),
            anonymous_scopes: vec!["anonymous".to_owned()],
            provider: None,
            provider_config: ProviderConfig::default(),
            expected_audience: Vec::new(),
            require_audience: true,
            required_scopes: Vec::new(),
            allow_anonymous: false,
            session_mode: SessionMode::Stateful,
            token_storage: TokenStorage::Memory,
            local: LocalSigningConfig::default(),
            refresh: RefreshConfig::default(),
            consent: ConsentConfig::default(),
            allow_default_public: false,
            incremental_auth: IncrementalAuthConfig::default(),
            federated_auth: FederatedAuthConfig::default(),
            dcr: DcrConfig::default(),
            cimd: CimdConfig::default(),
            require_registered_clients: true,
            pkce: PkceConfig::default(),
            require_email: true,
            anonymous_subject: None,
            providers: Vec::new(),
            login: LoginConfig::default(),
            client_id: None,
            client_secret: None,
            scopes: Vec::new(),
            vault_key: None,
            scopes_supported: Vec::new(),
            id_jag: IdJagConfig::default(),
        }
    }
}

const ALL: &[AuthMode] = &[
    AuthMode::Public,
    AuthMode::Transparent,
    AuthMode::Local,
    AuthMode::Remote,
];
const PUBLIC: &[AuthMode] = &[AuthMode::Public];
const TRANSPARENT: &[AuthMode] = &[AuthMode::Transparent];
const UPSTREAM: &[AuthMode] = &[AuthMode::Transparent, AuthMode::Remote];
const ORCHESTRATED: &[AuthMode] = &[AuthMode::Local, AuthMode::Remote];
const LOCAL: &[AuthMode] = &[AuthMode::Local];
const REMOTE: &[AuthMode] = &[AuthMode::Remote];

impl AuthConfig {
    /// Which modes each `auth` option applies to.
    pub const MODE_OPTIONS: &'static [(&'static str, &'static [AuthMode])] = &[
        ("mode", ALL),
        ("anonymous_scopes", ALL),
        ("session_ttl", PUBLIC),
        ("public_access", PUBLIC),
        ("provider", UPSTREAM),
        ("provider_config", UPSTREAM),
        ("expected_audience", TRANSPARENT),
        ("require_audience", TRANSPARENT),
        ("required_scopes", TRANSPARENT),
        ("allow_anonymous", TRANSPARENT),
        ("session_mode", ORCHESTRATED),
        ("token_storage", ORCHESTRATED),
        ("local", ORCHESTRATED),
        ("refresh", ORCHESTRATED),
        ("consent", ORCHESTRATED),
        ("allow_default_public", ORCHESTRATED),
        ("incremental_auth", ORCHESTRATED),
        ("federated_auth", ORCHESTRATED),
        ("dcr", ORCHESTRATED),
        ("dcr_enabled", ORCHESTRATED),
        ("cimd", ORCHESTRATED),
        ("require_registered_clients", ORCHESTRATED),
        ("pkce", ORCHESTRATED),
        ("scopes_supported", ORCHESTRATED),
        ("id_jag", ORCHESTRATED),
        ("require_email", LOCAL),
        ("anonymous_subject", LOCAL),
        ("providers", LOCAL),
        ("login", LOCAL),
        ("client_id", REMOTE),
        ("client_secret", REMOTE),
        ("scopes", REMOTE),
        ("vault_key", ORCHESTRATED),
    ];

    /// The modes an option applies to (`None` for an unknown option).
    pub fn modes_of(option: &str) -> Option<&'static [AuthMode]> {
        Self::MODE_OPTIONS
            .iter()
            .find(|(name, _)| *name == option)
            .map(|(_, modes)| *modes)
    }
}
