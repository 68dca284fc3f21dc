//! Rules about `security(...)` values that hold in every profile.

use super::RuleInput;
use crate::model::RateLimitsConfig;
use crate::path::KeyPath;
use crate::violation::{Rule, Violation};

/// The shortest admin or metrics credential accepted, in bytes.
pub const MIN_CREDENTIAL_BYTES: usize = 32;

/// The smallest `max_body_bytes` accepted: OAuth requests need a few KiB.
pub const MIN_BODY_BYTES: u64 = 4096;

fn base() -> KeyPath {
    KeyPath::root().key("security")
}

/// Admin and metrics credentials of at least 32 bytes.
pub fn credential_too_short(input: &RuleInput<'_>) -> Vec<Violation> {
    let security = &input.config.security;
    let mut found = Vec::new();
    for (key, secret) in [
        ("admin_token", &security.admin_token),
        ("metrics_token", &security.metrics_token),
    ] {
        let path = base().key(key);
        if let Some(secret) = secret
            && input.known(&path)
            && secret.len() < MIN_CREDENTIAL_BYTES
        {
            found.push(
                Violation::new(
                    Rule::CredentialTooShort,
                    path.clone(),
                    input.index.loc(&path),
                    format!(
                        "the credential is {} bytes; at least {MIN_CREDENTIAL_BYTES} are required",
                        secret.len()
                    ),
                )
                .help("generate one with `openssl rand -base64 48`"),
            );
        }
    }
    found
}

/// Windows, timeouts and sizes that make sense; origins and domains that parse.
pub fn security_values_invalid(input: &RuleInput<'_>) -> Vec<Violation> {
    let security = &input.config.security;
    let mut found = Vec::new();
    let mut push = |rule: Rule, path: KeyPath, message: String, help: &str| {
        if input.known(&path) && input.index.is_set(&path) {
            let loc = input.index.loc(&path);
            found.push(Violation::new(rule, path, loc, message).help(help.to_owned()));
        }
    };
    let limits = base().key("rate_limits");
    for endpoint in RateLimitsConfig::ENDPOINTS {
        if let Some(limit) = security.rate_limits.get(endpoint)
            && limit.limit > 0
            && limit.window == 0
        {
            push(
                Rule::ZeroTtl,
                limits.key(endpoint).key("window"),
                String::from("a rate limit window of 0 seconds"),
                "give the window in seconds, such as 60; set limit = 0 to turn the limit off",
            );
        }
    }
    if security.request_timeout == 0 {
        push(
            Rule::ZeroTtl,
            base().key("request_timeout"),
            String::from("a request timeout of 0 seconds"),
            "give the timeout in seconds, such as 30",
        );
    }
    if security.max_body_bytes < MIN_BODY_BYTES {
        push(
            Rule::InvalidValue,
            base().key("max_body_bytes"),
            format!(
                "{} bytes is too small for OAuth and MCP requests",
                security.max_body_bytes
            ),
            "use at least 4096; the default is 1048576",
        );
    }
    for (i, origin) in security.cors.allowed_origins.iter().enumerate() {
        if !origin.contains("://") {
            push(
                Rule::InvalidValue,
                base().key("cors").key("allowed_origins").index(i),
                format!("`{origin}` is not an origin"),
                "write scheme, host and port: https://app.example.com or http://localhost:*",
            );
        }
    }
    for (i, domain) in security.allowed_email_domains.iter().enumerate() {
        let bare = domain.strip_prefix("*.").unwrap_or(domain);
        let ok = bare.contains('.')
            && bare.split('.').all(|label| {
                !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !ok {
            push(
                Rule::InvalidValue,
                base().key("allowed_email_domains").index(i),
                format!("`{domain}` is not an email domain"),
                "write a domain such as company.com, or *.company.com for its subdomains",
            );
        }
    }
    found
}

/// The identity rules and the admin endpoint act on the built-in authorization server (local and
/// remote mode); with neither anywhere they would be ignored.
pub fn identity_rules_without_local_auth(input: &RuleInput<'_>) -> Vec<Violation> {
    let has_local = input
        .auths()
        .iter()
        .any(|(_, auth)| auth.mode.is_orchestrated());
    if has_local {
        return Vec::new();
    }
    [
        "allowed_email_domains",
        "max_concurrent_sessions",
        "require_state",
        "admin_token",
    ]
    .iter()
    .map(|key| base().key(key))
    .filter(|path| input.index.is_set(path))
    .map(|path| {
        let loc = input.index.loc(&path);
        Violation::new(
            Rule::OptionOutsideMode,
            path,
            loc,
            "applies to the built-in authorization server (local or remote mode), which no auth here uses",
        )
        .help("remove it, or use mode = \"local\" or \"remote\"")
    })
    .collect()
}
