//! The production profile: the seeds' pre-deployment checklist as rules. They run only when
//! `security.profile` is `production` (also `FRONTMCP_ENV=production`) and each names the
//! profile as the reason.

use super::RuleInput;
use crate::model::{AuthConfig, AuthMode, TokenStorage};
use crate::path::KeyPath;
use crate::violation::{Rule, Violation};

fn profile_path() -> KeyPath {
    KeyPath::root().key("security").key("profile")
}

/// Whether the production profile is on and known (not an `env(...)` read at start-up).
fn production(input: &RuleInput<'_>) -> bool {
    input.config.security.is_production() && input.known(&profile_path())
}

/// Whether an orchestrated-mode rule applies to the auth at `base`.
fn orchestrated_in_production(input: &RuleInput<'_>, base: &KeyPath, auth: &AuthConfig) -> bool {
    production(input) && auth.mode.is_orchestrated() && input.mode_known(base)
}

fn refuse(input: &RuleInput<'_>, rule: Rule, path: KeyPath, message: String) -> Violation {
    let loc = input.loc_or(&path, &profile_path());
    Violation::new(rule, path, loc, message).related(profile_path())
}

/// Whether `url` is an `https` URL, or an `http` URL on a loopback host.
pub fn is_https_or_loopback(url: &url::Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => match url.host() {
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        },
        _ => false,
    }
}

/// `http.public_url` must be set and HTTPS (loopback excepted): discovery documents, token
/// issuers and redirects are built from it, and auth endpoints must never run over HTTP.
pub fn production_insecure_url(input: &RuleInput<'_>) -> Vec<Violation> {
    let path = KeyPath::root().key("http").key("public_url");
    if !production(input) || !input.known(&path) {
        return Vec::new();
    }
    let message = match input.config.http.public_url.as_deref() {
        None => String::from("the production profile needs the public HTTPS URL of the server"),
        Some(public) => match url::Url::parse(public) {
            Ok(url) if is_https_or_loopback(&url) => return Vec::new(),
            Ok(_) => {
                format!("`{public}` is not HTTPS; the production profile serves auth over TLS only")
            }
            Err(_) => return Vec::new(),
        },
    };
    vec![
        refuse(input, Rule::ProductionInsecureUrl, path, message)
            .help("set http.public_url (or FRONTMCP_PUBLIC_URL) to https://your-host; terminate TLS there or at your proxy"),
    ]
}

/// Orchestrated modes need persistent signing keys, not keys generated at start-up.
pub fn production_generated_keys(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    if !orchestrated_in_production(input, base, auth) {
        return Vec::new();
    }
    if auth.local.sign_key.is_some() || auth.local.jwt_secret.is_some() {
        return Vec::new();
    }
    vec![
        refuse(
            input,
            Rule::ProductionGeneratedKeys,
            base.key("local").key("sign_key"),
            String::from("no signing key is provided; a generated key is lost on restart and differs between instances"),
        )
        .help("run `frontmcp-auth keygen` once and pass the JWK as JWT_SIGNING_KEY (or set local.jwt_secret / JWT_SECRET)"),
    ]
}

/// Redis in production carries every refresh token and session: over TLS, unless
/// `private_network` acknowledges a network only this server's instances reach.
pub fn production_redis_plaintext(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    if !orchestrated_in_production(input, base, auth) {
        return Vec::new();
    }
    let TokenStorage::Redis(redis) = &auth.token_storage else {
        return Vec::new();
    };
    if redis.tls || redis.private_network {
        return Vec::new();
    }
    let block = super::upstream::redis_block(input, base);
    vec![
        refuse(
            input,
            Rule::ProductionRedisPlaintext,
            block.key("tls"),
            String::from("Redis is reached without TLS: refresh tokens and sessions would cross the network in the clear"),
        )
        .help("set tls = true (rediss://), or private_network = true when only this server's instances can reach Redis"),
    ]
}

/// `memory` token storage loses every session on restart and is not shared between
/// instances: refused unless `security.single_instance` acknowledges it.
pub fn production_memory_storage(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    if !orchestrated_in_production(input, base, auth) {
        return Vec::new();
    }
    if auth.token_storage != TokenStorage::Memory || input.config.security.single_instance {
        return Vec::new();
    }
    vec![
        refuse(
            input,
            Rule::ProductionMemoryStorage,
            base.key("token_storage"),
            String::from("memory token storage loses every session on restart and is not shared between instances"),
        )
        .help("use token_storage(redis(...)) or sqlite(...); or, for exactly one instance, acknowledge it with security.single_instance = true"),
    ]
}

/// Dynamic Client Registration switched on must restrict who registers what: a redirect URI
/// allowlist or an initial access token.
pub fn production_open_registration(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    if !orchestrated_in_production(input, base, auth) {
        return Vec::new();
    }
    let dcr = &auth.dcr;
    if dcr.enabled != Some(true)
        || !dcr.allowed_redirect_uris.is_empty()
        || dcr.initial_access_token.is_some()
    {
        return Vec::new();
    }
    let enabled = base.key("dcr").key("enabled");
    let path = if input.index.is_set(&enabled) {
        enabled
    } else {
        base.key("dcr_enabled")
    };
    vec![
        refuse(
            input,
            Rule::ProductionOpenRegistration,
            path,
            String::from("anyone may register a client: registration has no redirect URI allowlist and no initial access token"),
        )
        .help("set dcr.allowed_redirect_uris or dcr.initial_access_token, or leave registration off (the production default)"),
    ]
}

/// `allow_default_public` lets tokenless requests in: refused in production.
pub fn production_default_public(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    if !orchestrated_in_production(input, base, auth) || !auth.allow_default_public {
        return Vec::new();
    }
    vec![
        refuse(
            input,
            Rule::ProductionDefaultPublic,
            base.key("allow_default_public"),
            String::from("allow_default_public lets requests without a token in"),
        )
        .help(
            "remove allow_default_public; serve anonymous tools from a public-mode server instead",
        ),
    ]
}

/// Transparent mode must check the audience of every token.
pub fn production_audience_unchecked(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    if !production(input) || auth.mode != AuthMode::Transparent || auth.require_audience {
        return Vec::new();
    }
    vec![
        refuse(
            input,
            Rule::ProductionAudienceUnchecked,
            base.key("require_audience"),
            String::from("tokens without an audience would be accepted"),
        )
        .help("remove require_audience = false; set expected_audience to this server's audience"),
    ]
}
