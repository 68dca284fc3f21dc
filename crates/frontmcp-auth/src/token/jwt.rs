//! The JWT checks every verifier shares: a well-formed header that names no key of its own,
//! then signature and `exp` / `nbf` against an injected time.

use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde_json::{Map, Value};

/// The token's header, refused when malformed or when it names its own key (`jku`, `jwk`,
/// `x5u`, `x5c`): keys come from configuration or the provider's JWKS, never the token.
///
/// # Errors
///
/// A description for an `invalid_token` answer.
pub fn checked_header(token: &str) -> Result<Header, String> {
    let header = jsonwebtoken::decode_header(token)
        .map_err(|_| String::from("the token is not a well-formed JWT"))?;
    if header.jku.is_some() || header.jwk.is_some() || header.x5u.is_some() || header.x5c.is_some()
    {
        return Err(String::from(
            "tokens naming their own key (jku, jwk, x5u, x5c) are not accepted",
        ));
    }
    Ok(header)
}

/// Verifies the signature with `key` under `alg` and the time claims against `now` with
/// `leeway` seconds; returns the claims.
///
/// # Errors
///
/// A description for an `invalid_token` answer.
pub fn verified_claims(
    token: &str,
    alg: Algorithm,
    key: &DecodingKey,
    now: u64,
    leeway: u64,
) -> Result<Map<String, Value>, String> {
    let mut validation = Validation::new(alg);
    validation.validate_aud = false;
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.set_required_spec_claims(&["exp"]);
    let data =
        jsonwebtoken::decode::<Map<String, Value>>(token, key, &validation).map_err(|e| match e
            .kind()
        {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                String::from("the signature does not verify")
            }
            jsonwebtoken::errors::ErrorKind::MissingRequiredClaim(_) => {
                String::from("the token has no expiry")
            }
            _ => String::from("the token is invalid"),
        })?;
    let exp = data
        .claims
        .get("exp")
        .and_then(Value::as_u64)
        .ok_or_else(|| String::from("the token has no expiry"))?;
    if exp.saturating_add(leeway) <= now {
        return Err(String::from("the token has expired"));
    }
    if let Some(nbf) = data.claims.get("nbf").and_then(Value::as_u64)
        && nbf > now.saturating_add(leeway)
    {
        return Err(String::from("the token is not valid yet"));
    }
    Ok(data.claims)
}
