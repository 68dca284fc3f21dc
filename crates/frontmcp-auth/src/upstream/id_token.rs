//! The upstream `id_token` (OpenID Connect Core §3.1.3.7): signed by a key of the provider's
//! JWKS with an asymmetric algorithm, from its issuer, for our client id, with our nonce, and
//! not expired.

use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};

use super::client::UpstreamError;
use super::jwks::JwksCache;
use super::provider::ProviderSettings;
use crate::secrets::constant_time_eq;

/// Seconds of clock skew tolerated on `exp` and `iat`.
const LEEWAY: u64 = 60;

/// Verifies `token` and returns its claims.
///
/// # Errors
///
/// [`UpstreamError::Invalid`] saying which check failed.
pub async fn verify_id_token(
    token: &str,
    settings: &ProviderSettings,
    keys: &JwksCache,
    nonce: &str,
    now: u64,
) -> Result<Map<String, Value>, UpstreamError> {
    let invalid = |what: &str| UpstreamError::Invalid(format!("id_token: {what}"));
    let header = crate::token::checked_header(token).map_err(|e| invalid(&e))?;
    if matches!(
        header.alg,
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
    ) {
        return Err(invalid("symmetric algorithms are not accepted"));
    }
    let key = keys
        .key(header.kid.as_deref())
        .await
        .ok_or_else(|| invalid("signed with a key not in the provider's JWKS"))?;
    if !key.algorithms.contains(&header.alg) {
        return Err(invalid("the algorithm does not match the signing key"));
    }
    let claims = crate::token::verified_claims(token, header.alg, &key.key, now, LEEWAY)
        .map_err(|e| invalid(&e))?;
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    if !settings.issuer_matches(text("iss").unwrap_or_default(), text("tid")) {
        return Err(invalid("issued by another issuer"));
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(aud)) => vec![aud.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.contains(&settings.client_id.as_str()) {
        return Err(invalid("issued for another audience"));
    }
    if audiences.len() > 1 && text("azp") != Some(settings.client_id.as_str()) {
        return Err(invalid("several audiences and `azp` is not this server"));
    }
    if !text("nonce").is_some_and(|n| constant_time_eq(n, nonce)) {
        return Err(invalid("the nonce does not match this sign-in"));
    }
    if claims.get("exp").and_then(Value::as_u64).is_none() {
        return Err(invalid("no `exp`"));
    }
    if claims
        .get("iat")
        .and_then(Value::as_u64)
        .is_some_and(|iat| iat > now + LEEWAY)
    {
        return Err(invalid("issued in the future"));
    }
    if !text("sub").is_some_and(|s| !s.is_empty() && s.len() <= 255) {
        return Err(invalid("no subject"));
    }
    Ok(claims)
}
