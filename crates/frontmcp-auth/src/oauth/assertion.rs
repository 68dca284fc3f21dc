//! JWT assertions presented at the token endpoint: a client's `private_key_jwt` authentication
//! (RFC 7523 §2.2) and an enterprise identity provider's ID-JAG (SEP-990). Both are signed with
//! an asymmetric algorithm from an allow-list by a key of a JWKS, bounded in size and lifetime,
//! and single use: their `jti` is kept until `exp`, shared between instances through the store
//! when it shares counters (Redis), else in the process.

use std::collections::HashMap;
use std::sync::Mutex;

use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};

use crate::store::Store;
use crate::upstream::JwksCache;

/// The largest assertion accepted, in bytes.
pub const MAX_ASSERTION_BYTES: usize = 8 * 1024;
/// The longest lifetime (`exp - iat`) accepted, in seconds.
pub const MAX_ASSERTION_LIFETIME: u64 = 600;
/// Seconds of clock skew tolerated.
const LEEWAY: u64 = 30;
/// `jti`s kept in the process at most.
const MAX_SEEN: usize = 100_000;

/// What an assertion must be.
pub(crate) struct Expected<'a> {
    /// The `typ` header required, if any (`oauth-id-jag+jwt`).
    pub typ: Option<&'a str>,
    /// Algorithms allowed.
    pub algorithms: &'a [String],
    /// Accepted `aud` values (one must be present).
    pub audiences: &'a [String],
}

/// Verifies `token` against `keys` as `expected` says, at `now`; its claims.
///
/// # Errors
///
/// Which check failed.
pub(crate) async fn verify(
    token: &str,
    keys: &JwksCache,
    expected: &Expected<'_>,
    now: u64,
) -> Result<Map<String, Value>, String> {
    if token.len() > MAX_ASSERTION_BYTES {
        return Err(format!(
            "the assertion is larger than {MAX_ASSERTION_BYTES} bytes"
        ));
    }
    let header = crate::token::checked_header(token)?;
    if let Some(typ) = expected.typ
        && !header
            .typ
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(typ))
    {
        return Err(format!("the assertion's typ is not {typ}"));
    }
    let name = format!("{:?}", header.alg);
    if matches!(
        header.alg,
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
    ) || !expected.algorithms.contains(&name)
    {
        return Err(format!("the algorithm {name} is not accepted"));
    }
    let key = keys
        .key(header.kid.as_deref())
        .await
        .ok_or_else(|| String::from("signed with a key that is not in the signer's JWKS"))?;
    if !key.algorithms.contains(&header.alg) {
        return Err(String::from("the algorithm does not match the signing key"));
    }
    let claims = crate::token::verified_claims(token, header.alg, &key.key, now, LEEWAY)?;
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(aud)) => vec![aud.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences
        .iter()
        .any(|a| expected.audiences.iter().any(|e| e == a))
    {
        return Err(String::from("the assertion is for another audience"));
    }
    let exp = claims
        .get("exp")
        .and_then(Value::as_u64)
        .ok_or_else(|| String::from("the assertion has no exp"))?;
    let iat = claims.get("iat").and_then(Value::as_u64).unwrap_or(now);
    if iat > now + LEEWAY {
        return Err(String::from("the assertion is issued in the future"));
    }
    if exp.saturating_sub(iat.min(now)) > MAX_ASSERTION_LIFETIME {
        return Err(format!(
            "the assertion lives longer than {MAX_ASSERTION_LIFETIME} seconds"
        ));
    }
    let jti = claims
        .get("jti")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if jti.is_empty() || jti.len() > 255 {
        return Err(String::from("the assertion has no usable jti"));
    }
    Ok(claims)
}

/// The `jti`s seen, until their `exp`.
#[derive(Debug, Default)]
pub(crate) struct SeenAssertions {
    local: Mutex<HashMap<String, u64>>,
}

impl SeenAssertions {
    /// Records `jti` of `scope` (the signer) until `exp`: `true` the first time, `false` for a
    /// replay.
    pub(crate) async fn first_use(
        &self,
        store: &dyn Store,
        scope: &str,
        jti: &str,
        now: u64,
        exp: u64,
    ) -> bool {
        let key = format!(
            "jti:{}",
            crate::secrets::digest(&format!("{}:{scope}:{jti}", scope.len()))
        );
        let ttl = exp.saturating_sub(now).max(1) + LEEWAY;
        if let Some(hit) = store.hit(&key, ttl) {
            match hit.await {
                Ok(count) => return count == 1,
                Err(e) => {
                    tracing::warn!(target: "frontmcp_auth::oauth", error = %e, "cannot record an assertion in the store; recording it in the process");
                }
            }
        }
        let Ok(mut seen) = self.local.lock() else {
            return false;
        };
        if seen.len() >= MAX_SEEN && !seen.contains_key(&key) {
            seen.retain(|_, until| *until > now);
            if seen.len() >= MAX_SEEN {
                // Refuse rather than forget: a forgotten jti could be replayed.
                return false;
            }
        }
        match seen.get(&key) {
            Some(until) if *until > now => false,
            _ => {
                seen.insert(key, now + ttl);
                true
            }
        }
    }
}
