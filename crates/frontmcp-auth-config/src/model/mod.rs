//! The typed configuration model, with the seeds' defaults.
//!
//! Every field's doc ends with its default. Secrets are [`Secret`](crate::Secret)s.

mod auth;
mod flows;
mod login;
mod presets;
mod security;
mod server;
mod signing;
mod storage;

pub use auth::{
    Audience, AuthConfig, AuthMode, ProviderConfig, PublicAccess, SessionMode, ToolAccess,
    UpstreamAuthMethod,
};
pub use flows::{
    CLIENT_GRANT_TYPES, CimdConfig, ConsentConfig, DcrConfig, FederatedAuthConfig, IdJagConfig,
    IncrementalAuthConfig, MAX_REUSE_GRACE_SECONDS, MAX_SLIDING_LIFETIME_SECONDS, PkceConfig,
    PreRegisteredClient, RefreshConfig, SkippedAppBehavior, StateValidation, TrustedIssuer,
    UpstreamProvider,
};
pub use login::{AuthenticatorKind, LoginConfig, UiConfig};
pub use presets::{
    GENERIC_OAUTH, GENERIC_OPENID, PRESETS, PresetIssuer, ProviderPreset, federated_preset, is_url,
    preset_named, preset_of_url,
};
pub use security::{CorsConfig, Profile, RateLimit, RateLimitsConfig, SecurityConfig};
pub use server::{
    AppConfig, DEFAULT_REDACT, HttpConfig, Info, LogLevel, LoggingConfig, McpSessions, ServerConfig,
};
pub use signing::{LocalSigningConfig, SignKey};
pub use storage::{RedisConfig, SqliteConfig, SqliteEncryption, TokenStorage};
