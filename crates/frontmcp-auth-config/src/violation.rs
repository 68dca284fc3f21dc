//! A broken rule: what is wrong, where, and how to fix it.

use std::fmt;

use crate::node::Loc;
use crate::path::KeyPath;

/// Every rule the decoder and the rulebook enforce, each with a stable snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Rule {
    /// A key that no option has (the nearest valid key is suggested).
    UnknownKey,
    /// The same key twice in one table (also `tokenStorage` beside `token_storage`).
    DuplicateKey,
    /// A value of the wrong type (a string where a number belongs, ...).
    WrongType,
    /// A value of the right type that is not allowed (an unknown mode, a port above 65535, ...).
    InvalidValue,
    /// Two keys that say the same thing differently (`dcr_enabled` and `dcr.enabled`, two
    /// storage backends).
    ConflictingKeys,
    /// A key that must be present is missing (an app's `info.name`, a provider's `id`, ...).
    MissingKey,
    /// Server-level `auth` together with `split_by_app = true`.
    AuthWithSplitByApp,
    /// `split_by_app = true` and an app without its own `auth`.
    SplitByAppAppWithoutAuth,
    /// An app with its own `auth` while `split_by_app` is off (it would never be used).
    AppAuthWithoutSplitByApp,
    /// An option set in a mode that does not use it (`consent` on `public`, ...).
    OptionOutsideMode,
    /// `transparent` or `remote` mode without `provider`.
    ProviderRequired,
    /// `transparent` mode without `expected_audience`.
    ExpectedAudienceRequired,
    /// `remote` mode without `client_id`.
    ClientIdRequired,
    /// `federated_auth.min_providers` above the number of configured providers.
    MinProvidersExceedsProviders,
    /// `federated_auth.required_providers` names a provider that is not configured.
    RequiredProviderUnknown,
    /// Two upstream providers share an `id`.
    DuplicateProviderId,
    /// Two apps share an `id`.
    DuplicateAppId,
    /// A literal HS256 secret shorter than 32 bytes.
    Hs256SecretTooShort,
    /// `local.sign_key` is not a usable private JWK.
    SignKeyInvalid,
    /// Both `local.sign_key` and `local.jwt_secret` are set.
    SigningKeyConflict,
    /// `refresh.access_token_ttl` is not less than `refresh.refresh_token_ttl`.
    AccessTtlNotBelowRefreshTtl,
    /// A lifetime or interval of zero.
    ZeroTtl,
    /// `refresh.rotate_refresh_token = false` (OAuth 2.1 requires rotation).
    RefreshRotationRequired,
    /// `redis` token storage without a host.
    RedisHostRequired,
    /// A value that must be a URL is not one (or not http/https).
    InvalidUrl,
    /// A PKCE method other than `S256`.
    PkceMethodNotS256,
    /// `local.max_keys` below 1.
    MaxKeysBelowOne,
    /// `anonymous_subject` together with `require_email = true` (it would never be used).
    AnonymousSubjectWithRequireEmail,
    /// `http.entry_path` that is not empty and not of the form `/segment[/segment...]`.
    EntryPathInvalid,
    /// An empty string where a name, scope or audience belongs.
    EmptyValue,
    /// Production profile: `http.public_url` missing, or not HTTPS (loopback excepted).
    ProductionInsecureUrl,
    /// Production profile: no `local.sign_key` or `local.jwt_secret`, so keys are generated
    /// at start-up and lost on restart.
    ProductionGeneratedKeys,
    /// Production profile: `memory` token storage without `security.single_instance = true`.
    ProductionMemoryStorage,
    /// Production profile: Dynamic Client Registration on without a redirect allowlist or an
    /// initial access token.
    ProductionOpenRegistration,
    /// Production profile: `allow_default_public = true`.
    ProductionDefaultPublic,
    /// Production profile: transparent mode with `require_audience = false`.
    ProductionAudienceUnchecked,
    /// An admin or metrics credential shorter than 32 bytes.
    CredentialTooShort,
    /// Production profile: local mode with the demo login (no authenticator).
    ProductionDemoLogin,
    /// `auth.login` options that contradict each other or the authenticator in force.
    LoginOptionsInvalid,
    /// Remote mode's provider settings that cannot work: an unknown preset, a missing tenant
    /// or issuer, scopes without what identity needs, a secret the token endpoint needs.
    RemoteProviderInvalid,
    /// Production profile: remote mode sealing upstream tokens with a per-process key.
    ProductionVaultKey,
    /// `key_rotation_days` beside a configured signing key, or more configured keys than
    /// `max_keys`.
    KeyRotationConfigured,
    /// Production profile: Redis without TLS, not acknowledged as a private network.
    ProductionRedisPlaintext,
    /// A machine client or trusted ID-JAG issuer that cannot work (an unknown grant type, no
    /// credential, a symmetric algorithm).
    MachineClientInvalid,
    /// A federated provider that cannot work: an unknown preset, nothing giving its endpoints,
    /// a missing secret, or stateless sessions (which keep no provider tokens).
    FederatedProviderInvalid,
    /// An option served by a Cargo feature of the runtime that this build was compiled without
    /// (`token_storage` sqlite or redis, `login.passkeys`). Only the runtime reports it: the
    /// attribute cannot know which features the binary enables.
    FeatureNotCompiled,
}

impl Rule {
    /// Every rule, in documentation order.
    pub const ALL: &'static [Rule] = &[
        Rule::UnknownKey,
        Rule::DuplicateKey,
        Rule::WrongType,
        Rule::InvalidValue,
        Rule::ConflictingKeys,
        Rule::MissingKey,
        Rule::AuthWithSplitByApp,
        Rule::SplitByAppAppWithoutAuth,
        Rule::AppAuthWithoutSplitByApp,
        Rule::OptionOutsideMode,
        Rule::ProviderRequired,
        Rule::ExpectedAudienceRequired,
        Rule::ClientIdRequired,
        Rule::MinProvidersExceedsProviders,
        Rule::RequiredProviderUnknown,
        Rule::DuplicateProviderId,
        Rule::DuplicateAppId,
        Rule::Hs256SecretTooShort,
        Rule::SignKeyInvalid,
        Rule::SigningKeyConflict,
        Rule::AccessTtlNotBelowRefreshTtl,
        Rule::ZeroTtl,
        Rule::RefreshRotationRequired,
        Rule::RedisHostRequired,
        Rule::InvalidUrl,
        Rule::PkceMethodNotS256,
        Rule::MaxKeysBelowOne,
        Rule::AnonymousSubjectWithRequireEmail,
        Rule::EntryPathInvalid,
        Rule::EmptyValue,
        Rule::ProductionInsecureUrl,
        Rule::ProductionGeneratedKeys,
        Rule::ProductionMemoryStorage,
        Rule::ProductionOpenRegistration,
        Rule::ProductionDefaultPublic,
        Rule::ProductionAudienceUnchecked,
        Rule::CredentialTooShort,
        Rule::ProductionDemoLogin,
        Rule::LoginOptionsInvalid,
        Rule::RemoteProviderInvalid,
        Rule::ProductionVaultKey,
        Rule::FederatedProviderInvalid,
        Rule::KeyRotationConfigured,
        Rule::ProductionRedisPlaintext,
        Rule::MachineClientInvalid,
        Rule::FeatureNotCompiled,
    ];

    /// The stable snake_case name of the rule, as shown in messages and used by ui-tests.
    pub fn name(self) -> &'static str {
        match self {
            Rule::UnknownKey => "unknown_key",
            Rule::DuplicateKey => "duplicate_key",
            Rule::WrongType => "wrong_type",
            Rule::InvalidValue => "invalid_value",
            Rule::ConflictingKeys => "conflicting_keys",
            Rule::MissingKey => "missing_key",
            Rule::AuthWithSplitByApp => "auth_with_split_by_app",
            Rule::SplitByAppAppWithoutAuth => "split_by_app_app_without_auth",
            Rule::AppAuthWithoutSplitByApp => "app_auth_without_split_by_app",
            Rule::OptionOutsideMode => "option_outside_mode",
            Rule::ProviderRequired => "provider_required",
            Rule::ExpectedAudienceRequired => "expected_audience_required",
            Rule::ClientIdRequired => "client_id_required",
            Rule::MinProvidersExceedsProviders => "min_providers_exceeds_providers",
            Rule::RequiredProviderUnknown => "required_provider_unknown",
            Rule::DuplicateProviderId => "duplicate_provider_id",
            Rule::DuplicateAppId => "duplicate_app_id",
            Rule::Hs256SecretTooShort => "hs256_secret_too_short",
            Rule::SignKeyInvalid => "sign_key_invalid",
            Rule::SigningKeyConflict => "signing_key_conflict",
            Rule::AccessTtlNotBelowRefreshTtl => "access_ttl_not_below_refresh_ttl",
            Rule::ZeroTtl => "zero_ttl",
            Rule::RefreshRotationRequired => "refresh_rotation_required",
            Rule::RedisHostRequired => "redis_host_required",
            Rule::InvalidUrl => "invalid_url",
            Rule::PkceMethodNotS256 => "pkce_method_not_s256",
            Rule::MaxKeysBelowOne => "max_keys_below_one",
            Rule::AnonymousSubjectWithRequireEmail => "anonymous_subject_with_require_email",
            Rule::EntryPathInvalid => "entry_path_invalid",
            Rule::EmptyValue => "empty_value",
            Rule::ProductionInsecureUrl => "production_insecure_url",
            Rule::ProductionGeneratedKeys => "production_generated_keys",
            Rule::ProductionMemoryStorage => "production_memory_storage",
            Rule::ProductionOpenRegistration => "production_open_registration",
            Rule::ProductionDefaultPublic => "production_default_public",
            Rule::ProductionAudienceUnchecked => "production_audience_unchecked",
            Rule::CredentialTooShort => "credential_too_short",
            Rule::ProductionDemoLogin => "production_demo_login",
            Rule::LoginOptionsInvalid => "login_options_invalid",
            Rule::RemoteProviderInvalid => "remote_provider_invalid",
            Rule::ProductionVaultKey => "production_vault_key",
            Rule::FederatedProviderInvalid => "federated_provider_invalid",
            Rule::KeyRotationConfigured => "key_rotation_configured",
            Rule::ProductionRedisPlaintext => "production_redis_plaintext",
            Rule::MachineClientInvalid => "machine_client_invalid",
            Rule::FeatureNotCompiled => "feature_not_compiled",
        }
    }
}

impl Rule {
    /// Whether the rule is about a key that is missing (so the key has no source of its own;
    /// what made it necessary is in [`Violation::related`]).
    pub fn is_about_absence(self) -> bool {
        matches!(
            self,
            Rule::MissingKey
                | Rule::ProviderRequired
                | Rule::ExpectedAudienceRequired
                | Rule::ClientIdRequired
                | Rule::RedisHostRequired
                | Rule::SplitByAppAppWithoutAuth
                | Rule::ProductionGeneratedKeys
                | Rule::ProductionInsecureUrl
                | Rule::ProductionDemoLogin
                | Rule::ProductionVaultKey
                | Rule::ProductionRedisPlaintext
        )
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One configuration mistake.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Which rule was broken.
    pub rule: Rule,
    /// The key the mistake is about.
    pub path: KeyPath,
    /// Where it was written, when the front end knows (the key, else the value).
    pub loc: Option<Loc>,
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// Another key the mistake depends on (the `mode` that makes an option invalid), so its
    /// origin can be named too.
    pub related: Option<KeyPath>,
}

impl Violation {
    /// A violation of `rule` at `path`.
    pub fn new(rule: Rule, path: KeyPath, loc: Option<Loc>, message: impl Into<String>) -> Self {
        Self {
            rule,
            path,
            loc,
            message: message.into(),
            help: None,
            related: None,
        }
    }

    /// Names another key the mistake depends on.
    pub fn related(mut self, path: KeyPath) -> Self {
        self.related = Some(path);
        self
    }

    /// Adds how to fix it.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {} [{}]", self.path, self.message, self.rule)?;
        if let Some(help) = &self.help {
            write!(f, "; help: {help}")?;
        }
        Ok(())
    }
}
