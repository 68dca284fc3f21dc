//! The keys that sign and verify this server's access tokens, and the JWKS that publishes them.
//!
//! From `local(...)`: an HS256 `jwt_secret`, or a private `sign_key` JWK, or (with neither) a
//! generated ES256 key with a loud warning, since tokens then die with the process.
//! `jwt_secret_old` keeps verifying during a secret rotation. A generated keyring rotates: the
//! next key is published in the JWKS one whole rotation period before it signs (so verifiers
//! that cache the JWKS know it in time), then signs, and older keys keep verifying until
//! `max_keys` pushes them out.

use jsonwebtoken::{Algorithm, Header};
use serde_json::{Map, Value, json};

use super::key::{KeyError, KeyKind, SigningKey};
use frontmcp_auth_config::LocalSigningConfig;

/// The signing keys of a server.
#[derive(Debug, Clone)]
pub struct Keyring {
    /// Signing and verifying keys, newest first; `keys[0]` signs.
    keys: Vec<SigningKey>,
    /// Keys that only verify (`jwt_secret_old`).
    retired: Vec<SigningKey>,
    /// The key that signs after the next rotation: published, not yet signing.
    next: Option<SigningKey>,
    generated: bool,
}

impl Keyring {
    /// The keyring `local(...)` describes.
    ///
    /// # Errors
    ///
    /// When the configured key cannot be loaded or a key cannot be generated.
    pub fn from_config(config: &LocalSigningConfig) -> Result<Self, KeyError> {
        let (current, generated) = match (&config.sign_key, &config.jwt_secret) {
            (Some(jwk), _) => (SigningKey::from_jwk(jwk.expose())?, false),
            (None, Some(secret)) => (SigningKey::hs256(secret.expose().as_bytes()), false),
            (None, None) => {
                tracing::warn!(
                    target: "frontmcp_auth::keys",
                    "no signing key configured: generated a temporary ES256 key; every token dies when this process stops. Set JWT_SIGNING_KEY or JWT_SECRET."
                );
                (SigningKey::generate(KeyKind::Es256)?.0, true)
            }
        };
        let retired = config
            .jwt_secret_old
            .iter()
            .map(|old| SigningKey::hs256(old.expose().as_bytes()))
            .collect();
        // Keys that signed before the current one: they verify and stay published.
        let mut keys = vec![current];
        for previous in &config.previous_keys {
            keys.push(SigningKey::from_jwk(previous.expose())?);
        }
        Ok(Self {
            keys,
            retired,
            next: None,
            generated,
        })
    }

    /// A keyring of exactly these keys, `keys[0]` signing.
    pub fn from_keys(keys: Vec<SigningKey>) -> Self {
        Self {
            keys,
            retired: Vec::new(),
            next: None,
            generated: false,
        }
    }

    /// Whether the signing key was generated at start-up (nothing configured).
    pub fn is_generated(&self) -> bool {
        self.generated
    }

    /// The key that signs.
    pub fn current(&self) -> Option<&SigningKey> {
        self.keys.first()
    }

    /// Signs `claims` as an access token (`typ: at+jwt`, RFC 9068) with the current key.
    ///
    /// # Errors
    ///
    /// When the keyring is empty or signing fails.
    pub fn sign(&self, claims: &Map<String, Value>) -> Result<String, KeyError> {
        let key = self
            .current()
            .ok_or_else(|| KeyError::Invalid(String::from("the keyring is empty")))?;
        let mut header = Header::new(key.algorithm());
        header.kid = Some(key.kid().to_owned());
        header.typ = Some(String::from("at+jwt"));
        jsonwebtoken::encode(&header, claims, key.encoding())
            .map_err(|e| KeyError::Crypto(e.to_string()))
    }

    /// Verifies the signature of `token` with the key its `kid` names (the algorithm pinned to
    /// that key) and its `exp` against `now` with `leeway` seconds; returns the claims.
    /// Issuer and audience are the caller's to check.
    ///
    /// # Errors
    ///
    /// A description of what is wrong, for an `invalid_token` answer.
    pub fn verify(&self, token: &str, now: u64, leeway: u64) -> Result<Map<String, Value>, String> {
        let header = super::jwt::checked_header(token)?;
        let kid = header
            .kid
            .as_deref()
            .ok_or_else(|| String::from("the token has no kid"))?;
        let key = self
            .keys
            .iter()
            .chain(&self.retired)
            .find(|k| k.kid() == kid)
            .ok_or_else(|| String::from("the token is signed with an unknown key"))?;
        if key.algorithm() != header.alg {
            return Err(format!("{:?} does not match the signing key", header.alg));
        }
        super::jwt::verified_claims(token, key.algorithm(), key.decoding(), now, leeway)
    }

    /// The key published to sign after the next rotation, if one is prepared.
    pub fn next(&self) -> Option<&SigningKey> {
        self.next.as_ref()
    }

    /// Generates the next key of a generated keyring and publishes it (it signs from the next
    /// rotation on). Does nothing when one is prepared already or the keyring was configured.
    ///
    /// # Errors
    ///
    /// When a key cannot be generated.
    pub fn prepare_next(&mut self) -> Result<(), KeyError> {
        if !self.generated || self.next.is_some() {
            return Ok(());
        }
        let kind = match self.current().map(SigningKey::algorithm) {
            Some(Algorithm::RS256) => KeyKind::Rs256,
            _ => KeyKind::Es256,
        };
        self.next = Some(SigningKey::generate(kind)?.0);
        Ok(())
    }

    /// The JWKS of every public key that signs, still verifies, or signs next (never an HS256
    /// key).
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .chain(self.next.as_ref())
            .filter_map(SigningKey::public_jwk)
            .map(|k| Value::Object(k.clone()))
            .collect();
        json!({ "keys": keys })
    }

    /// Puts the published next key (or, if none was prepared, a new one) in front, prepares
    /// the key after it, and keeps at most `max_keys` signing-or-verifying keys, so tokens
    /// signed by the previous keys verify until those keys fall out.
    ///
    /// # Errors
    ///
    /// When the keyring was configured (a configured key is rotated by its operator) or a key
    /// cannot be generated.
    pub fn rotate(&mut self, max_keys: usize) -> Result<(), KeyError> {
        if !self.generated {
            return Err(KeyError::Invalid(String::from(
                "a configured key is rotated by configuring the next one",
            )));
        }
        self.prepare_next()?;
        if let Some(next) = self.next.take() {
            self.keys.insert(0, next);
        }
        self.keys.truncate(max_keys.max(1));
        self.prepare_next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use frontmcp_auth_config::{Secret, SignKey};

    const NOW: u64 = 1_800_000_000;

    fn claims() -> Map<String, Value> {
        json!({"sub": "user-1", "exp": NOW + 900})
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    fn config(
        secret: Option<&str>,
        old: Option<&str>,
        key: Option<Map<String, Value>>,
    ) -> LocalSigningConfig {
        LocalSigningConfig {
            jwt_secret: secret.map(Secret::new),
            jwt_secret_old: old.map(Secret::new),
            sign_key: key.map(SignKey::new),
            ..LocalSigningConfig::default()
        }
    }

    #[test]
    fn each_kind_of_key_signs_and_verifies() {
        let (_, es) = SigningKey::generate(KeyKind::Es256).expect("es");
        let (_, rs) = SigningKey::generate(KeyKind::Rs256).expect("rs");
        for config in [
            config(Some("0123456789abcdef0123456789abcdef"), None, None),
            config(None, None, Some(es)),
            config(None, None, Some(rs)),
        ] {
            let ring = Keyring::from_config(&config).expect("keyring");
            let token = ring.sign(&claims()).expect("sign");
            assert_eq!(
                ring.verify(&token, NOW, 0).expect("verify")["sub"],
                "user-1"
            );
            assert_eq!(
                ring.verify(&token, NOW + 901, 0),
                Err(String::from("the token has expired"))
            );
        }
    }

    #[test]
    fn hs256_keys_are_never_published() {
        let ring = Keyring::from_config(&config(
            Some("0123456789abcdef0123456789abcdef"),
            None,
            None,
        ))
        .expect("ring");
        assert_eq!(ring.jwks(), json!({"keys": []}));
        let generated = Keyring::from_config(&config(None, None, None)).expect("ring");
        assert!(generated.is_generated());
        let published = generated.jwks();
        assert_eq!(published["keys"].as_array().map(Vec::len), Some(1));
        assert!(published["keys"][0].get("d").is_none());
    }

    #[test]
    fn the_old_secret_verifies_during_a_rotation() {
        let old = Keyring::from_config(&config(
            Some("the-previous-secret-0123456789abcdef"),
            None,
            None,
        ))
        .expect("old");
        let token = old.sign(&claims()).expect("sign");
        let rotated = Keyring::from_config(&config(
            Some("the-new-secret-0123456789abcdefghijkl"),
            Some("the-previous-secret-0123456789abcdef"),
            None,
        ))
        .expect("rotated");
        assert!(rotated.verify(&token, NOW, 0).is_ok());
        let without_old = Keyring::from_config(&config(
            Some("the-new-secret-0123456789abcdefghijkl"),
            None,
            None,
        ))
        .expect("new");
        assert_eq!(
            without_old.verify(&token, NOW, 0),
            Err(String::from("the token is signed with an unknown key"))
        );
    }

    #[test]
    fn a_key_rotated_out_stops_verifying() {
        let mut ring = Keyring::from_config(&config(None, None, None)).expect("ring");
        ring.prepare_next().expect("next");
        let published = ring.next().map(|k| k.kid().to_owned());
        assert_eq!(ring.jwks()["keys"].as_array().map(Vec::len), Some(2));
        let first = ring.sign(&claims()).expect("sign");
        ring.rotate(2).expect("rotate");
        assert_eq!(
            ring.current().map(|k| k.kid().to_owned()),
            published,
            "the published key signs after the rotation"
        );
        assert!(
            ring.verify(&first, NOW, 0).is_ok(),
            "the previous key still verifies"
        );
        assert_eq!(
            ring.jwks()["keys"].as_array().map(Vec::len),
            Some(3),
            "current, previous, and the next key published"
        );
        ring.rotate(2).expect("rotate");
        assert_eq!(
            ring.verify(&first, NOW, 0),
            Err(String::from("the token is signed with an unknown key"))
        );
    }

    #[test]
    fn forged_tokens_are_refused() {
        let ring = Keyring::from_config(&config(None, None, None)).expect("ring");
        let token = ring.sign(&claims()).expect("sign");
        let (head, payload) = token.split_once('.').expect("jwt");
        let none_header = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            br#"{"alg":"none","kid":"x"}"#,
        );
        let payload = payload.split('.').next().unwrap_or_default();
        assert_eq!(
            ring.verify(&format!("{none_header}.{payload}."), NOW, 0),
            Err(String::from("the token is not a well-formed JWT"))
        );
        let kid = ring
            .current()
            .map(|k| k.kid().to_owned())
            .unwrap_or_default();
        let mut hs_header = Header::new(Algorithm::HS256);
        hs_header.kid = Some(kid);
        let public = serde_json::to_vec(&ring.jwks()["keys"][0]).unwrap_or_default();
        let hs = jsonwebtoken::encode(
            &hs_header,
            &claims(),
            &jsonwebtoken::EncodingKey::from_secret(&public),
        )
        .expect("sign");
        assert_eq!(
            ring.verify(&hs, NOW, 0),
            Err(String::from("HS256 does not match the signing key"))
        );
        assert!(head.len() > 10);
    }

    #[test]
    fn a_configured_key_is_not_rotated_in_process() {
        let mut ring = Keyring::from_config(&config(
            Some("0123456789abcdef0123456789abcdef"),
            None,
            None,
        ))
        .expect("ring");
        assert!(ring.rotate(3).is_err());
    }
}
