//! The seeds' pre-deployment checklist as a report: `frontmcp-auth check --production` loads
//! the configuration under the production profile and marks each item pass, fail, or (for
//! recommendations) warn.

use std::fmt;

use frontmcp_auth_config::{AuthConfig, AuthMode, Rule, ServerConfig};

use super::load::LoadedConfig;
use super::report::ConfigError;

/// The outcome of one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Satisfied.
    Pass,
    /// A required item is not satisfied: start-up under the production profile refuses it.
    Fail,
    /// A recommended item is not satisfied.
    Warn,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "FAIL",
            Status::Warn => "warn",
        }
    }
}

/// One checklist item.
#[derive(Debug, Clone)]
pub struct Item {
    /// The item, as the seeds name it.
    pub title: &'static str,
    /// Its outcome.
    pub status: Status,
    /// Why, when it does not pass.
    pub detail: String,
}

/// The required items and the rules that enforce each.
const REQUIRED: &[(&str, &[Rule])] = &[
    ("HTTPS only", &[Rule::ProductionInsecureUrl]),
    (
        "Persistent token storage",
        &[Rule::ProductionMemoryStorage, Rule::RedisHostRequired],
    ),
    (
        "Stable signing keys",
        &[
            Rule::ProductionGeneratedKeys,
            Rule::SignKeyInvalid,
            Rule::SigningKeyConflict,
        ],
    ),
    (
        "Strong JWT secret (32 bytes or more)",
        &[Rule::Hs256SecretTooShort],
    ),
    ("PKCE enforced (S256 only)", &[Rule::PkceMethodNotS256]),
    ("Refresh token rotation", &[Rule::RefreshRotationRequired]),
    (
        "Audience validation (transparent mode)",
        &[
            Rule::ExpectedAudienceRequired,
            Rule::ProductionAudienceUnchecked,
        ],
    ),
    (
        "Client registration restricted",
        &[Rule::ProductionOpenRegistration],
    ),
    ("No anonymous access", &[Rule::ProductionDefaultPublic]),
    (
        "Verified sign-in (no demo login)",
        &[Rule::ProductionDemoLogin, Rule::LoginOptionsInvalid],
    ),
    ("Admin and metrics credentials", &[Rule::CredentialTooShort]),
];

/// The checklist of a load under the production profile.
pub fn checklist(result: &Result<LoadedConfig, ConfigError>) -> Vec<Item> {
    let problems = match result {
        Ok(_) => &[][..],
        Err(e) => e.problems(),
    };
    let config = match result {
        Ok(loaded) => Some(&loaded.config),
        Err(e) => e.decoded(),
    };
    let mut items = Vec::new();
    let mut claimed = Vec::new();
    for (title, rules) in REQUIRED {
        let found: Vec<String> = problems
            .iter()
            .filter(|p| rules.contains(&p.violation.rule))
            .map(|p| format!("`{}`: {}", p.violation.path, p.violation.message))
            .collect();
        claimed.extend(rules.iter().copied());
        items.push(Item {
            title,
            status: if found.is_empty() {
                Status::Pass
            } else {
                Status::Fail
            },
            detail: found.join("; "),
        });
    }
    let others: Vec<String> = problems
        .iter()
        .filter(|p| !claimed.contains(&p.violation.rule))
        .map(|p| format!("`{}`: {}", p.violation.path, p.violation.message))
        .collect();
    items.push(Item {
        title: "Configuration valid",
        status: if others.is_empty() {
            Status::Pass
        } else {
            Status::Fail
        },
        detail: others.join("; "),
    });
    if let Some(config) = config {
        items.extend(runtime_items(config));
    }
    items
}

fn auths(config: &ServerConfig) -> Vec<AuthConfig> {
    if config.split_by_app {
        config.apps.iter().filter_map(|a| a.auth.clone()).collect()
    } else {
        vec![config.effective_auth()]
    }
}

fn item(title: &'static str, ok: bool, failing: Status, detail: &str) -> Item {
    Item {
        title,
        status: if ok { Status::Pass } else { failing },
        detail: if ok { String::new() } else { detail.to_owned() },
    }
}

/// The limits really on, per endpoint (`limit = 0` turns one off).
fn limits_in_force(limits: &frontmcp_auth_config::RateLimitsConfig) -> String {
    let on: Vec<String> = frontmcp_auth_config::RateLimitsConfig::ENDPOINTS
        .iter()
        .filter_map(|name| {
            let limit = limits.get(name)?;
            let per = if *name == "mcp" || *name == "userinfo" {
                "per IP and per subject"
            } else {
                "per IP"
            };
            (limit.limit > 0).then(|| format!("{name} {}/{} s {per}", limit.limit, limit.window))
        })
        .collect();
    let off: Vec<&str> = frontmcp_auth_config::RateLimitsConfig::ENDPOINTS
        .iter()
        .filter(|name| limits.get(name).is_some_and(|l| l.limit == 0))
        .copied()
        .collect();
    let mut text = format!("on: {}", on.join(", "));
    if !off.is_empty() {
        text.push_str(&format!("; off (limit = 0): {}", off.join(", ")));
    }
    text
}

/// How signing keys rotate: generated keys by `key_rotation_days`; configured keys by their
/// operator, through `previous_keys` (which `key_rotation_days` cannot touch).
fn key_rotation(orchestrated: &[&AuthConfig]) -> Item {
    let mut notes = Vec::new();
    let mut rotates = true;
    for auth in orchestrated {
        let local = &auth.local;
        if local.sign_key.is_some() || local.jwt_secret.is_some() {
            let previous = local.previous_keys.len() + usize::from(local.jwt_secret_old.is_some());
            notes.push(format!(
                "configured key, rotated by you: {previous} previous key(s) still verify (local.previous_keys, jwt_secret_old), at most max_keys = {}",
                local.max_keys
            ));
        } else if let Some(days) = local.key_rotation_days {
            notes.push(format!(
                "generated keys rotate every {days} day(s), {} kept",
                local.max_keys
            ));
        } else {
            rotates = false;
            notes.push(String::from(
                "generated key never rotated: local.key_rotation_days is not set",
            ));
        }
    }
    Item {
        title: "Key rotation",
        status: if rotates { Status::Pass } else { Status::Warn },
        detail: notes.join("; "),
    }
}

/// Items decided by settings rather than rules.
fn runtime_items(config: &ServerConfig) -> Vec<Item> {
    let security = &config.security;
    let auths = auths(config);
    let orchestrated: Vec<&AuthConfig> =
        auths.iter().filter(|a| a.mode.is_orchestrated()).collect();
    let redact = config.logging.redacted_fields();
    let redacts_tokens = ["access_token", "refresh_token", "client_secret"]
        .iter()
        .all(|f| redact.iter().any(|r| r.eq_ignore_ascii_case(f)));
    let mut rate_limiting = item(
        "Rate limiting",
        security.rate_limits_on(),
        Status::Fail,
        "security.rate_limits.enabled = false: no endpoint is limited",
    );
    if security.rate_limits_on() {
        rate_limiting.detail = limits_in_force(&security.rate_limits);
    }
    vec![
        rate_limiting,
        item(
            "Logs redact tokens and secrets",
            redacts_tokens,
            Status::Fail,
            "logging.redact must name access_token, refresh_token and client_secret",
        ),
        item(
            "Consent UI",
            orchestrated.iter().all(|a| a.consent.enabled),
            Status::Warn,
            "consent.enabled = false: users do not see which tools they authorize",
        ),
        key_rotation(&orchestrated),
        item(
            "State parameter required",
            !auths.iter().any(|a| a.mode == AuthMode::Local) || security.state_required(),
            Status::Warn,
            "security.require_state = false: authorization requests may come without a state",
        ),
        item(
            "Session limits",
            orchestrated.is_empty() || security.max_concurrent_sessions > 0,
            Status::Warn,
            "security.max_concurrent_sessions is 0 (unlimited)",
        ),
        item(
            "Domain restrictions",
            !auths.iter().any(|a| a.mode == AuthMode::Local)
                || !security.allowed_email_domains.is_empty(),
            Status::Warn,
            "security.allowed_email_domains is empty: any email domain may log in",
        ),
        item(
            "Session revocation endpoint",
            !auths.iter().any(|a| a.mode == AuthMode::Local) || security.admin_token.is_some(),
            Status::Warn,
            "security.admin_token is not set: POST /admin/sessions/revoke is not served",
        ),
    ]
}

/// The checklist as printed by `check --production`.
pub struct Report<'a>(pub &'a [Item]);

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Pre-deployment checklist (production profile):")?;
        for item in self.0 {
            write!(f, "  [{}] {}", item.status.label(), item.title)?;
            if !item.detail.is_empty() {
                write!(f, ": {}", item.detail)?;
            }
            writeln!(f)?;
        }
        let failed = self.0.iter().filter(|i| i.status == Status::Fail).count();
        let warned = self.0.iter().filter(|i| i.status == Status::Warn).count();
        if failed == 0 {
            writeln!(f, "ready for production ({warned} recommendation(s) open)")
        } else {
            writeln!(
                f,
                "NOT ready for production: {failed} required item(s) fail"
            )
        }
    }
}
