//! The rulebook: cross-field rules, one named function each.
//!
//! The same functions run at compile time (inside `#[frontmcp(...)]`) and at start-up (on the
//! layered configuration), so the two can never disagree. Each rule returns every violation it
//! finds, with the key path it is about and how to fix it.

mod clients;
mod federation;
mod login;
mod modes;
mod production;
mod remote;
mod security;
mod server;
mod tokens;
mod upstream;

use crate::decode::KeyIndex;
use crate::model::{AuthConfig, ServerConfig};
use crate::node::Loc;
use crate::path::KeyPath;
use crate::violation::Violation;

pub use clients::ASSERTION_ALGORITHMS;
pub use production::is_https_or_loopback;
pub use remote::{RESERVED_AUTHORIZATION_PARAMS, remote_preset};

/// What a rule looks at: the decoded model, where each key was written, and which keys already
/// failed to decode (rules stay quiet about those, so one mistake is reported once).
pub struct RuleInput<'a> {
    /// The decoded configuration.
    pub config: &'a ServerConfig,
    /// Where keys were written; which values are only known at start-up.
    pub index: &'a KeyIndex,
    /// Paths that failed to decode.
    pub broken: &'a [KeyPath],
    /// What the server's code declares.
    pub code: crate::CodeFacts,
}

impl RuleInput<'_> {
    /// Where `path` was written, else where `fallback` was written.
    pub fn loc_or(&self, path: &KeyPath, fallback: &KeyPath) -> Option<Loc> {
        self.index.loc(path).or_else(|| self.index.loc(fallback))
    }

    /// Whether the value at `path` is known (set and not an `env(...)` read at start-up).
    pub fn known(&self, path: &KeyPath) -> bool {
        !self.index.is_deferred(path)
    }

    /// Whether the mode of the auth at `base` decoded cleanly.
    pub fn mode_known(&self, base: &KeyPath) -> bool {
        let mode = base.key("mode");
        let legacy_type = base.key("type");
        !self
            .broken
            .iter()
            .any(|b| b.starts_with(&mode) || b.starts_with(&legacy_type) || base.starts_with(b))
    }

    /// Every auth configuration with its base path: the server's and each app's.
    pub fn auths(&self) -> Vec<(KeyPath, &AuthConfig)> {
        let mut out = Vec::new();
        if let Some(auth) = &self.config.auth {
            out.push((KeyPath::root().key("auth"), auth));
        }
        for app in &self.config.apps {
            if let Some(auth) = &app.auth {
                out.push((KeyPath::root().key("apps").key(&app.id).key("auth"), auth));
            }
        }
        out
    }
}

/// A server-level rule.
pub type ServerRule = fn(&RuleInput<'_>) -> Vec<Violation>;
/// A rule applied to every auth configuration (the server's and each app's) at its base path.
pub type AuthRule = fn(&RuleInput<'_>, &KeyPath, &AuthConfig) -> Vec<Violation>;

/// Rules about the server as a whole.
pub const SERVER_RULES: &[(&str, ServerRule)] = &[
    ("auth_with_split_by_app", server::auth_with_split_by_app),
    (
        "split_by_app_app_without_auth",
        server::split_by_app_app_without_auth,
    ),
    (
        "app_auth_without_split_by_app",
        server::app_auth_without_split_by_app,
    ),
    ("duplicate_app_id", server::duplicate_app_id),
    ("entry_path_invalid", server::entry_path_invalid),
    ("http_values_invalid", server::http_values_invalid),
    ("credential_too_short", security::credential_too_short),
    ("security_values_invalid", security::security_values_invalid),
    (
        "identity_rules_without_local_auth",
        security::identity_rules_without_local_auth,
    ),
    (
        "production_insecure_url",
        production::production_insecure_url,
    ),
];

/// Rules about one auth configuration.
pub const AUTH_RULES: &[(&str, AuthRule)] = &[
    ("option_outside_mode", modes::option_outside_mode),
    ("provider_required", modes::provider_required),
    (
        "expected_audience_required",
        modes::expected_audience_required,
    ),
    ("client_id_required", modes::client_id_required),
    (
        "anonymous_subject_with_require_email",
        modes::anonymous_subject_with_require_email,
    ),
    ("hs256_secret_too_short", tokens::hs256_secret_too_short),
    ("sign_key_invalid", tokens::sign_key_invalid),
    ("signing_key_conflict", tokens::signing_key_conflict),
    (
        "access_ttl_not_below_refresh_ttl",
        tokens::access_ttl_not_below_refresh_ttl,
    ),
    ("zero_ttl", tokens::zero_ttl),
    (
        "refresh_rotation_required",
        tokens::refresh_rotation_required,
    ),
    ("max_keys_below_one", tokens::max_keys_below_one),
    ("pkce_method_not_s256", tokens::pkce_method_not_s256),
    ("redis_host_required", upstream::redis_host_required),
    ("redis_cluster_invalid", upstream::redis_cluster_invalid),
    (
        "min_providers_exceeds_providers",
        upstream::min_providers_exceeds_providers,
    ),
    (
        "required_provider_unknown",
        upstream::required_provider_unknown,
    ),
    ("duplicate_provider_id", upstream::duplicate_provider_id),
    ("invalid_url", upstream::invalid_url),
    (
        "production_generated_keys",
        production::production_generated_keys,
    ),
    (
        "production_memory_storage",
        production::production_memory_storage,
    ),
    (
        "production_open_registration",
        production::production_open_registration,
    ),
    (
        "production_default_public",
        production::production_default_public,
    ),
    (
        "production_audience_unchecked",
        production::production_audience_unchecked,
    ),
    ("production_demo_login", login::production_demo_login),
    ("login_options_invalid", login::login_options_invalid),
    ("remote_provider_invalid", remote::remote_provider_invalid),
    ("production_vault_key", remote::production_vault_key),
    (
        "federated_provider_invalid",
        federation::federated_provider_invalid,
    ),
    ("key_rotation_configured", tokens::key_rotation_configured),
    ("machine_client_invalid", clients::machine_client_invalid),
    (
        "production_redis_plaintext",
        production::production_redis_plaintext,
    ),
];

/// Runs every rule and returns what they found, minus what concerns keys that already failed
/// to decode.
pub fn run_rules(input: &RuleInput<'_>) -> Vec<Violation> {
    let mut found = Vec::new();
    for (_, rule) in SERVER_RULES {
        found.extend(rule(input));
    }
    for (base, auth) in input.auths() {
        for (_, rule) in AUTH_RULES {
            found.extend(rule(input, &base, auth));
        }
    }
    found.retain(|v| {
        !input
            .broken
            .iter()
            .any(|b| v.path.starts_with(b) || b.starts_with(&v.path))
    });
    found
}
