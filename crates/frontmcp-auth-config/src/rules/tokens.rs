//! Rules about signing keys, lifetimes, refresh rotation and PKCE.

use super::RuleInput;
use crate::model::{AuthConfig, SignKey, TokenStorage};
use crate::path::KeyPath;
use crate::violation::{Rule, Violation};

/// The shortest HS256 secret accepted, in bytes (the seeds: "Minimum 32 bytes").
pub const MIN_HS256_SECRET_BYTES: usize = 32;

/// A literal HS256 secret (`local.jwt_secret`, `local.jwt_secret_old`, or an `oct` sign key)
/// shorter than 32 bytes.
pub fn hs256_secret_too_short(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    if !auth.mode.is_orchestrated() {
        return Vec::new();
    }
    let local = base.key("local");
    let mut found = Vec::new();
    let secrets = [
        ("jwt_secret", &auth.local.jwt_secret),
        ("jwt_secret_old", &auth.local.jwt_secret_old),
    ];
    for (key, secret) in secrets {
        let path = local.key(key);
        if let Some(secret) = secret
            && input.known(&path)
            && secret.len() < MIN_HS256_SECRET_BYTES
        {
            found.push(too_short(input, path, secret.len()));
        }
    }
    let key_path = local.key("sign_key");
    if let Some(key) = &auth.local.sign_key
        && input.known(&key_path)
        && key.member("kty") == Some("oct")
    {
        let bytes = key.member("k").map_or(0, base64url_decoded_len);
        if bytes < MIN_HS256_SECRET_BYTES {
            found.push(too_short(input, key_path, bytes));
        }
    }
    found
}

fn too_short(input: &RuleInput<'_>, path: KeyPath, bytes: usize) -> Violation {
    Violation::new(
        Rule::Hs256SecretTooShort,
        path.clone(),
        input.index.loc(&path),
        format!(
            "the HS256 secret is {bytes} bytes; at least {MIN_HS256_SECRET_BYTES} are required"
        ),
    )
    .help("generate one with `openssl rand -base64 32` and pass it through JWT_SECRET")
}

fn base64url_decoded_len(text: &str) -> usize {
    text.trim_end_matches('=').len() * 3 / 4
}

/// `local.sign_key` must be a private JWK this server can sign with.
pub fn sign_key_invalid(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    let path = base.key("local").key("sign_key");
    let Some(key) = &auth.local.sign_key else {
        return Vec::new();
    };
    if !auth.mode.is_orchestrated() || !input.known(&path) {
        return Vec::new();
    }
    match sign_key_problem(key) {
        Some(problem) => vec![
            Violation::new(Rule::SignKeyInvalid, path.clone(), input.index.loc(&path), problem)
                .help("give a private JWK: RSA (RS256), EC P-256 (ES256) or oct (HS256); `frontmcp-auth keygen` prints one"),
        ],
        None => Vec::new(),
    }
}

fn sign_key_problem(key: &SignKey) -> Option<String> {
    let kty = key.member("kty")?;
    let (needed, algs): (&[&str], &[&str]) = match kty {
        "RSA" => (
            &["n", "e", "d", "p", "q", "dp", "dq", "qi"],
            &["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"],
        ),
        "EC" => {
            if key.member("crv") != Some("P-256") {
                return Some(format!(
                    "EC keys must use the P-256 curve (ES256), not {}",
                    key.member("crv").unwrap_or("an unnamed curve")
                ));
            }
            (&["x", "y", "d"], &["ES256"])
        }
        "oct" => (&["k"], &["HS256"]),
        other => return Some(format!("key type `{other}` is not supported")),
    };
    if let Some(missing) = needed.iter().find(|m| key.member(m).is_none()) {
        return Some(format!(
            "the {kty} key lacks `{missing}`; a private key is needed to sign"
        ));
    }
    match key.member("alg") {
        Some(alg) if !algs.contains(&alg) => Some(format!("`alg` {alg} does not fit a {kty} key")),
        _ => None,
    }
}

/// Rotation by `key_rotation_days` replaces generated keys only: beside a configured key it
/// would do nothing, so it is refused; configured keys (`sign_key` and `previous_keys`) may not
/// exceed `max_keys`; previous keys must be usable JWKs.
pub fn key_rotation_configured(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    if !auth.mode.is_orchestrated() {
        return Vec::new();
    }
    let local = base.key("local");
    let configured = auth.local.sign_key.is_some() || auth.local.jwt_secret.is_some();
    let mut found = Vec::new();
    let days = local.key("key_rotation_days");
    if configured && auth.local.key_rotation_days.is_some() && input.known(&days) {
        found.push(
            Violation::new(
                Rule::KeyRotationConfigured,
                days.clone(),
                input.index.loc(&days),
                "key_rotation_days rotates generated keys; beside a configured signing key it would do nothing",
            )
            .help("rotate a configured key yourself: put the new key in sign_key (JWT_SIGNING_KEY) and the old one in previous_keys (JWT_PREVIOUS_SIGNING_KEYS); or remove the key to have keys generated and rotated"),
        );
    }
    let previous = local.key("previous_keys");
    if !auth.local.previous_keys.is_empty() && input.known(&previous) {
        if auth.local.sign_key.is_none() {
            found.push(
                Violation::new(
                    Rule::KeyRotationConfigured,
                    previous.clone(),
                    input.index.loc(&previous),
                    "previous_keys verify tokens signed before the current sign_key, and no sign_key is set",
                )
                .help("set sign_key (JWT_SIGNING_KEY) to the key that signs now"),
            );
        }
        let count = auth.local.previous_keys.len() as u64 + 1;
        if count > auth.local.max_keys {
            found.push(
                Violation::new(
                    Rule::KeyRotationConfigured,
                    previous.clone(),
                    input.index.loc(&previous),
                    format!(
                        "{count} signing keys are configured (sign_key and previous_keys), more than max_keys = {}",
                        auth.local.max_keys
                    ),
                )
                .help("drop the oldest previous key once its tokens have expired, or raise max_keys"),
            );
        }
        for (i, key) in auth.local.previous_keys.iter().enumerate() {
            if let Some(problem) = sign_key_problem(key) {
                let at = previous.index(i);
                found.push(
                    Violation::new(
                        Rule::SignKeyInvalid,
                        at.clone(),
                        input.loc_or(&at, &previous),
                        format!("previous key: {problem}"),
                    )
                    .help("give the private JWK that used to be sign_key"),
                );
            }
        }
    }
    found
}

/// Both a sign key and an HS256 secret: which one signs would be a guess.
pub fn signing_key_conflict(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    if !auth.mode.is_orchestrated()
        || auth.local.sign_key.is_none()
        || auth.local.jwt_secret.is_none()
    {
        return Vec::new();
    }
    let path = base.key("local").key("jwt_secret");
    vec![
        Violation::new(
            Rule::SigningKeyConflict,
            path.clone(),
            input.index.loc(&path),
            "both `local.sign_key` and `local.jwt_secret` are set; only one may sign tokens",
        )
        .help("keep one (check the JWT_SECRET and JWT_SIGNING_KEY environment variables too); use jwt_secret_old for a secret being rotated out"),
    ]
}

/// Access tokens must expire before the refresh tokens that renew them.
pub fn access_ttl_not_below_refresh_ttl(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    let refresh = base.key("refresh");
    let access_path = refresh.key("access_token_ttl");
    let refresh_path = refresh.key("refresh_token_ttl");
    let (access, renew) = (
        auth.refresh.access_token_ttl,
        auth.refresh.refresh_token_ttl,
    );
    if !auth.mode.is_orchestrated()
        || !input.known(&access_path)
        || !input.known(&refresh_path)
        || access == 0
        || renew == 0
        || access < renew
    {
        return Vec::new();
    }
    vec![
        Violation::new(
            Rule::AccessTtlNotBelowRefreshTtl,
            access_path.clone(),
            input.loc_or(&access_path, &refresh_path),
            format!(
                "access_token_ttl ({access} s) must be less than refresh_token_ttl ({renew} s)"
            ),
        )
        .help("the seeds suggest 900 s access tokens and 604800 s (7 days) refresh tokens"),
    ]
}

/// Lifetimes and intervals of zero would expire everything at once or spin a sweep loop.
pub fn zero_ttl(input: &RuleInput<'_>, base: &KeyPath, auth: &AuthConfig) -> Vec<Violation> {
    let mut checks: Vec<(KeyPath, u64)> = Vec::new();
    if auth.mode == crate::AuthMode::Public {
        checks.push((base.key("session_ttl"), auth.session_ttl));
    }
    if auth.mode.is_orchestrated() {
        let refresh = base.key("refresh");
        checks.push((
            refresh.key("access_token_ttl"),
            auth.refresh.access_token_ttl,
        ));
        checks.push((
            refresh.key("refresh_token_ttl"),
            auth.refresh.refresh_token_ttl,
        ));
        if let Some(days) = auth.local.key_rotation_days {
            checks.push((base.key("local").key("key_rotation_days"), days));
        }
        if let TokenStorage::Sqlite(sqlite) = &auth.token_storage {
            let storage = base.key("token_storage");
            let written = ["sqlite", "config"]
                .iter()
                .map(|k| storage.key(k).key("ttl_cleanup_interval"))
                .find(|p| input.index.is_set(p))
                .unwrap_or_else(|| storage.key("sqlite").key("ttl_cleanup_interval"));
            checks.push((written, sqlite.ttl_cleanup_interval));
        }
        checks.push((
            base.key("cimd").key("fetch_timeout_seconds"),
            auth.cimd.fetch_timeout_seconds,
        ));
    }
    checks
        .into_iter()
        .filter(|(path, value)| *value == 0 && input.known(path))
        .map(|(path, _)| {
            Violation::new(
                Rule::ZeroTtl,
                path.clone(),
                input.index.loc(&path),
                format!(
                    "`{}` must be greater than zero",
                    path.last_key().unwrap_or("value")
                ),
            )
            .help("give a number of seconds (days for key_rotation_days) of at least 1")
        })
        .collect()
}

/// OAuth 2.1 and the seeds' checklist: "Always rotate refresh tokens on use".
pub fn refresh_rotation_required(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    let path = base.key("refresh").key("rotate_refresh_token");
    if !auth.mode.is_orchestrated() || auth.refresh.rotate_refresh_token || !input.known(&path) {
        return Vec::new();
    }
    vec![
        Violation::new(
            Rule::RefreshRotationRequired,
            path.clone(),
            input.index.loc(&path),
            "refresh tokens are always rotated; `rotate_refresh_token = false` is not supported",
        )
        .help("remove rotate_refresh_token (a reused refresh token revokes its family; see reuse_grace_seconds for retries)"),
    ]
}

/// At least the current signing key must be kept.
pub fn max_keys_below_one(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    let path = base.key("local").key("max_keys");
    if !auth.mode.is_orchestrated() || auth.local.max_keys >= 1 || !input.known(&path) {
        return Vec::new();
    }
    vec![
        Violation::new(
            Rule::MaxKeysBelowOne,
            path.clone(),
            input.index.loc(&path),
            "`max_keys` must be at least 1 (the current signing key)",
        )
        .help("the seeds suggest max_keys = 3 to keep old keys verifying during rotation"),
    ]
}

/// OAuth 2.1: PKCE with `S256` only.
pub fn pkce_method_not_s256(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    let path = base.key("pkce").key("method");
    if !auth.mode.is_orchestrated() || auth.pkce.method == "S256" || !input.known(&path) {
        return Vec::new();
    }
    vec![
        Violation::new(
            Rule::PkceMethodNotS256,
            path.clone(),
            input.index.loc(&path),
            format!(
                "PKCE method `{}` is not allowed; OAuth 2.1 requires S256",
                auth.pkce.method
            ),
        )
        .help("write method = \"S256\" or remove the pkce block"),
    ]
}
