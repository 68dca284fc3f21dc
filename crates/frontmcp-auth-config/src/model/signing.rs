//! `local(...)`: the keys that sign and verify access tokens.

use std::fmt;

use serde::Serialize;

use crate::Secret;

/// `local(sign_key, jwt_secret, jwt_secret_old, issuer, key_rotation_days, max_keys)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocalSigningConfig {
    /// A private JWK (RSA, EC P-256 or an `oct` HS256 key) that signs tokens
    /// (also `JWT_SIGNING_KEY`). Default: absent.
    pub sign_key: Option<SignKey>,
    /// An HS256 secret of at least 32 bytes (also `JWT_SECRET`). Default: absent.
    /// With neither key given, a key is generated at start-up (with a warning).
    pub jwt_secret: Option<Secret>,
    /// The previous HS256 secret, still accepted for verification during a rotation
    /// (also `JWT_SECRET_OLD`). Default: absent.
    pub jwt_secret_old: Option<Secret>,
    /// Keys that signed before `sign_key` (private JWKs, newest first): they verify, and their
    /// public halves stay in the JWKS, until tokens they signed have expired (also
    /// `JWT_PREVIOUS_SIGNING_KEYS`, a JSON array or JWKS). Default: none.
    pub previous_keys: Vec<SignKey>,
    /// The `iss` of issued tokens. Default: the server's public base URL.
    pub issuer: Option<String>,
    /// Days after which a generated signing key is replaced (refused beside a configured key,
    /// which its operator rotates through `previous_keys`). Default: absent (no rotation).
    pub key_rotation_days: Option<u64>,
    /// Signing keys kept for verification, the current one included: generated keys past it
    /// drop out; configured keys (`sign_key` and `previous_keys`) may not exceed it.
    /// Default: `3`.
    pub max_keys: u64,
}

impl Default for LocalSigningConfig {
    fn default() -> Self {
        Self {
            sign_key: None,
            jwt_secret: None,
            jwt_secret_old: None,
            previous_keys: Vec::new(),
            issuer: None,
            key_rotation_days: None,
            max_keys: 3,
        }
    }
}

/// A private signing key as a JWK. Its private parts never print.
#[derive(Clone, PartialEq)]
pub struct SignKey(serde_json::Map<String, serde_json::Value>);

/// The JWK members that hold private key material.
const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "k", "oth"];

impl SignKey {
    /// Wraps a JWK object.
    pub fn new(jwk: serde_json::Map<String, serde_json::Value>) -> Self {
        Self(jwk)
    }

    /// The full JWK, private members included. Use it to load the key, never to print it.
    pub fn expose(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.0
    }

    /// A string member of the JWK (`kty`, `alg`, `kid`, `crv`, ...).
    pub fn member(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(serde_json::Value::as_str)
    }

    /// The JWK with every private member replaced by `[redacted]`.
    pub fn redacted(&self) -> serde_json::Map<String, serde_json::Value> {
        self.0
            .iter()
            .map(|(name, value)| {
                let value = if PRIVATE_MEMBERS.contains(&name.as_str()) {
                    serde_json::Value::String(crate::secret::REDACTED.to_owned())
                } else {
                    value.clone()
                };
                (name.clone(), value)
            })
            .collect()
    }
}

impl fmt::Debug for SignKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignKey({:?})", self.redacted())
    }
}

impl Serialize for SignKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.redacted().serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_members_never_print() {
        let jwk =
            serde_json::json!({"kty": "EC", "crv": "P-256", "x": "xx", "y": "yy", "d": "PRIVATE"});
        let key = SignKey::new(jwk.as_object().cloned().unwrap_or_default());
        let debug = format!("{key:?}");
        assert!(!debug.contains("PRIVATE"), "{debug}");
        assert!(debug.contains("P-256"));
        let json = serde_json::to_string(&key).unwrap_or_default();
        assert!(!json.contains("PRIVATE"), "{json}");
        assert_eq!(key.member("d"), Some("PRIVATE"));
    }
}
