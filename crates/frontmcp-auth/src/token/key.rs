//! One signing key: HS256 from a secret, RS256 or ES256 from a private JWK or generated. Every
//! key has a `kid` (the RFC 7638 thumbprint for RSA and EC keys).

use aws_lc_rs::encoding::{AsBigEndian, AsDer};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde_json::{Map, Value, json};

use super::der;

/// Why a key could not be used or made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    /// The JWK is not a usable private key.
    #[error("the signing key is not usable: {0}")]
    Invalid(String),
    /// The crypto library refused to generate or load the key.
    #[error("the signing key could not be created: {0}")]
    Crypto(String),
}

/// The algorithms `keygen` can create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// ECDSA P-256 with SHA-256.
    Es256,
    /// RSA 2048 with PKCS#1 v1.5 and SHA-256.
    Rs256,
}

/// A key that signs (and verifies) access tokens.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    alg: Algorithm,
    encoding: EncodingKey,
    decoding: DecodingKey,
    public_jwk: Option<Map<String, Value>>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(jwk: &Map<String, Value>, member: &str) -> Result<Vec<u8>, KeyError> {
    let text = jwk
        .get(member)
        .and_then(Value::as_str)
        .ok_or_else(|| KeyError::Invalid(format!("`{member}` is missing")))?;
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| KeyError::Invalid(format!("`{member}` is not base64url")))
}

/// The RFC 7638 thumbprint of a public JWK: SHA-256 over its required members in order.
pub fn thumbprint(public: &Map<String, Value>) -> String {
    let members: &[&str] = match public.get("kty").and_then(Value::as_str) {
        Some("RSA") => &["e", "kty", "n"],
        Some("EC") => &["crv", "kty", "x", "y"],
        _ => &["k", "kty"],
    };
    let canonical: Vec<String> = members
        .iter()
        .map(|m| {
            format!(
                "\"{m}\":{}",
                public
                    .get(*m)
                    .map_or_else(|| "null".to_owned(), Value::to_string)
            )
        })
        .collect();
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        format!("{{{}}}", canonical.join(",")).as_bytes(),
    );
    b64(digest.as_ref())
}

impl SigningKey {
    /// An HS256 key. Its `kid` is derived from a hash of the secret, never the secret itself.
    pub fn hs256(secret: &[u8]) -> Self {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, secret);
        Self {
            kid: format!("hs256-{}", &b64(digest.as_ref())[..16]),
            alg: Algorithm::HS256,
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            public_jwk: None,
        }
    }

    /// A key from a private JWK: `RSA` (RS256), `EC` P-256 (ES256) or `oct` (HS256).
    ///
    /// # Errors
    ///
    /// [`KeyError::Invalid`] when members are missing or malformed, [`KeyError::Crypto`] when
    /// the components do not form a key.
    pub fn from_jwk(jwk: &Map<String, Value>) -> Result<Self, KeyError> {
        match jwk.get("kty").and_then(Value::as_str) {
            Some("oct") => Ok(Self::hs256(&unb64(jwk, "k")?)),
            Some("EC") => {
                if jwk.get("crv").and_then(Value::as_str) != Some("P-256") {
                    return Err(KeyError::Invalid(String::from("EC keys must use P-256")));
                }
                let (d, x, y) = (unb64(jwk, "d")?, unb64(jwk, "x")?, unb64(jwk, "y")?);
                let mut point = vec![0x04];
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                let pair = EcdsaKeyPair::from_private_key_and_public_key(
                    &ECDSA_P256_SHA256_FIXED_SIGNING,
                    &d,
                    &point,
                )
                .map_err(|e| KeyError::Crypto(e.to_string()))?;
                Self::from_ec_pair(&pair, jwk.get("kid").and_then(Value::as_str))
            }
            Some("RSA") => {
                let names = ["n", "e", "d", "p", "q", "dp", "dq", "qi"];
                let mut parts = Vec::with_capacity(8);
                for name in names {
                    parts.push(unb64(jwk, name)?);
                }
                let refs: [&[u8]; 8] = [
                    &parts[0], &parts[1], &parts[2], &parts[3], &parts[4], &parts[5], &parts[6],
                    &parts[7],
                ];
                let pkcs1 = der::pkcs1_rsa_private_key(&refs);
                aws_lc_rs::rsa::KeyPair::from_der(&pkcs1)
                    .map_err(|e| KeyError::Crypto(e.to_string()))?;
                let public = public_rsa(&parts[0], &parts[1]);
                let kid = jwk
                    .get("kid")
                    .and_then(Value::as_str)
                    .map_or_else(|| thumbprint(&public), str::to_owned);
                Ok(Self {
                    decoding: DecodingKey::from_rsa_raw_components(&parts[0], &parts[1]),
                    encoding: EncodingKey::from_rsa_der(&pkcs1),
                    alg: Algorithm::RS256,
                    public_jwk: Some(with_use(public, &kid, "RS256")),
                    kid,
                })
            }
            Some(other) => Err(KeyError::Invalid(format!(
                "key type `{other}` is not supported"
            ))),
            None => Err(KeyError::Invalid(String::from("`kty` is missing"))),
        }
    }

    fn from_ec_pair(pair: &EcdsaKeyPair, kid: Option<&str>) -> Result<Self, KeyError> {
        let point = pair.public_key().as_ref();
        if point.len() != 65 {
            return Err(KeyError::Crypto(String::from(
                "unexpected EC public key encoding",
            )));
        }
        let (x, y) = (&point[1..33], &point[33..]);
        let mut public = Map::new();
        public.insert("kty".into(), json!("EC"));
        public.insert("crv".into(), json!("P-256"));
        public.insert("x".into(), json!(b64(x)));
        public.insert("y".into(), json!(b64(y)));
        let kid = kid.map_or_else(|| thumbprint(&public), str::to_owned);
        let pkcs8 = pair
            .to_pkcs8v1()
            .map_err(|e| KeyError::Crypto(e.to_string()))?;
        Ok(Self {
            decoding: DecodingKey::from_ec_components(&b64(x), &b64(y))
                .map_err(|e| KeyError::Crypto(e.to_string()))?,
            encoding: EncodingKey::from_ec_der(pkcs8.as_ref()),
            alg: Algorithm::ES256,
            public_jwk: Some(with_use(public, &kid, "ES256")),
            kid,
        })
    }

    /// A new key and its private JWK (the only time the private parts are exported).
    ///
    /// # Errors
    ///
    /// [`KeyError::Crypto`] when the crypto library fails.
    pub fn generate(kind: KeyKind) -> Result<(Self, Map<String, Value>), KeyError> {
        let crypto = |e: aws_lc_rs::error::Unspecified| KeyError::Crypto(e.to_string());
        match kind {
            KeyKind::Es256 => {
                let pair =
                    EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).map_err(crypto)?;
                let key = Self::from_ec_pair(&pair, None)?;
                let d = pair.private_key().as_be_bytes().map_err(crypto)?;
                let mut private = key.public_jwk.clone().unwrap_or_default();
                private.insert("d".into(), json!(b64(d.as_ref())));
                Ok((key, private))
            }
            KeyKind::Rs256 => {
                let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                    .map_err(crypto)?;
                let pkcs8: aws_lc_rs::encoding::Pkcs8V1Der<'static> =
                    pair.as_der().map_err(crypto)?;
                let pkcs1 = der::pkcs1_from_pkcs8(pkcs8.as_ref())
                    .ok_or_else(|| KeyError::Crypto(String::from("unexpected PKCS#8 layout")))?;
                let ints = der::sequence_integers(pkcs1)
                    .filter(|ints| ints.len() == 9)
                    .ok_or_else(|| KeyError::Crypto(String::from("unexpected RSA key layout")))?;
                let mut private = Map::new();
                private.insert("kty".into(), json!("RSA"));
                for (name, value) in ["n", "e", "d", "p", "q", "dp", "dq", "qi"]
                    .iter()
                    .zip(&ints[1..])
                {
                    private.insert((*name).into(), json!(b64(value)));
                }
                let key = Self::from_jwk(&private)?;
                private.insert("kid".into(), json!(key.kid));
                private.insert("alg".into(), json!("RS256"));
                private.insert("use".into(), json!("sig"));
                Ok((key, private))
            }
        }
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The signing algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The public JWK (`None` for HS256: a symmetric key is never published).
    pub fn public_jwk(&self) -> Option<&Map<String, Value>> {
        self.public_jwk.as_ref()
    }

    /// Signs `claims` as a JWT with this key (its `kid` and algorithm in the header, and `typ`
    /// when given): what a machine client sends as a `private_key_jwt` assertion, or an
    /// identity provider as an ID-JAG.
    ///
    /// # Errors
    ///
    /// When signing fails.
    pub fn sign_jwt(
        &self,
        typ: Option<&str>,
        claims: &Map<String, Value>,
    ) -> Result<String, KeyError> {
        let mut header = jsonwebtoken::Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        header.typ = typ.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| KeyError::Crypto(e.to_string()))
    }

    pub(crate) fn encoding(&self) -> &EncodingKey {
        &self.encoding
    }

    pub(crate) fn decoding(&self) -> &DecodingKey {
        &self.decoding
    }
}

fn public_rsa(n: &[u8], e: &[u8]) -> Map<String, Value> {
    let mut public = Map::new();
    public.insert("kty".into(), json!("RSA"));
    public.insert("n".into(), json!(b64(n)));
    public.insert("e".into(), json!(b64(e)));
    public
}

fn with_use(mut public: Map<String, Value>, kid: &str, alg: &str) -> Map<String, Value> {
    public.insert("kid".into(), json!(kid));
    public.insert("alg".into(), json!(alg));
    public.insert("use".into(), json!("sig"));
    public
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7638_thumbprint_example() {
        let jwk = json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        let map = jwk.as_object().cloned().unwrap_or_default();
        assert_eq!(
            thumbprint(&map),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn generated_keys_reload_from_their_private_jwk() {
        for kind in [KeyKind::Es256, KeyKind::Rs256] {
            let (key, private) = SigningKey::generate(kind).expect("generate");
            let reloaded = SigningKey::from_jwk(&private).expect("reload");
            assert_eq!(reloaded.kid(), key.kid());
            assert_eq!(reloaded.public_jwk(), key.public_jwk());
            let public = key.public_jwk().expect("public");
            assert!(
                !public.contains_key("d"),
                "{kind:?}: the public JWK has no private parts"
            );
        }
    }

    #[test]
    fn bad_jwks_are_refused_clearly() {
        let refuse = |v: Value| SigningKey::from_jwk(v.as_object().expect("object")).err();
        assert_eq!(
            refuse(json!({"kty": "EC", "crv": "P-384"})),
            Some(KeyError::Invalid("EC keys must use P-256".into()))
        );
        assert_eq!(
            refuse(json!({"kty": "RSA", "n": "AQAB"})),
            Some(KeyError::Invalid("`e` is missing".into()))
        );
        assert_eq!(
            refuse(json!({"kty": "OKP"})),
            Some(KeyError::Invalid("key type `OKP` is not supported".into()))
        );
        assert!(matches!(
            refuse(json!({"kty": "EC", "crv": "P-256", "d": "AA", "x": "AA", "y": "AA"})),
            Some(KeyError::Crypto(_))
        ));
    }
}
