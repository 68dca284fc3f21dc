//! Signing keys and a JWKS/discovery server on loopback, for transparent-mode tests.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

/// A private signing key and its public JWK.
#[derive(Clone)]
pub struct TestKey {
    pub kid: String,
    pub alg: Algorithm,
    pub encoding: EncodingKey,
    pub public_jwk: Value,
}

fn public_jwk(encoding: &EncodingKey, alg: Algorithm, kid: &str) -> Value {
    let jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(encoding, alg).expect("jwk");
    let mut value = serde_json::to_value(jwk).expect("json");
    value["kid"] = json!(kid);
    value["use"] = json!("sig");
    value
}

/// A fresh ES256 key.
pub fn es256(kid: &str) -> TestKey {
    let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).expect("generate");
    let der = pair.to_pkcs8v1().expect("pkcs8");
    let encoding = EncodingKey::from_ec_der(der.as_ref());
    TestKey {
        kid: kid.to_owned(),
        alg: Algorithm::ES256,
        public_jwk: public_jwk(&encoding, Algorithm::ES256, kid),
        encoding,
    }
}

/// A fresh RS256 key (2048 bits).
pub fn rs256(kid: &str) -> TestKey {
    let pair =
        aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("generate");
    let der: aws_lc_rs::encoding::Pkcs8V1Der<'static> = pair.as_der().expect("der");
    let body = STANDARD.encode(der.as_ref());
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).expect("ascii"))
        .collect();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    );
    let encoding = EncodingKey::from_rsa_pem(pem.as_bytes()).expect("pem");
    TestKey {
        kid: kid.to_owned(),
        alg: Algorithm::RS256,
        public_jwk: public_jwk(&encoding, Algorithm::RS256, kid),
        encoding,
    }
}

/// Signs `claims` with `key` (its alg and kid in the header).
pub fn sign(key: &TestKey, claims: &Value) -> String {
    let mut header = Header::new(key.alg);
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &key.encoding).expect("sign")
}

/// A token with a hand-made header (for `alg: none`, `jku`, ...), signed with `signature`.
pub fn forge(header: &Value, claims: &Value, signature: &[u8]) -> String {
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).expect("json"));
    format!(
        "{}.{}.{}",
        part(header),
        part(claims),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// An identity provider's key endpoints on loopback: OpenID discovery and a JWKS that counts
/// its fetches. The RFC 8414 document is absent, so discovery falls back to OpenID's.
pub struct KeyServer {
    pub addr: SocketAddr,
    pub issuer: String,
    keys: Arc<Mutex<Vec<Value>>>,
    fetches: Arc<AtomicUsize>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl KeyServer {
    pub async fn start(keys: &[&TestKey]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let issuer = format!("http://{addr}");
        let published = Arc::new(Mutex::new(
            keys.iter()
                .map(|k| k.public_jwk.clone())
                .collect::<Vec<_>>(),
        ));
        let fetches = Arc::new(AtomicUsize::new(0));
        let discovery = json!({ "issuer": issuer, "jwks_uri": format!("{issuer}/jwks") });
        let (jwks_keys, jwks_count) = (published.clone(), fetches.clone());
        let router = axum::Router::new()
            .route(
                "/.well-known/openid-configuration",
                get(move || async move { axum::Json(discovery.clone()) }),
            )
            .route(
                "/jwks",
                get(move || {
                    let keys = jwks_keys.lock().expect("lock").clone();
                    jwks_count.fetch_add(1, Ordering::SeqCst);
                    async move { axum::Json(json!({ "keys": keys })) }
                }),
            );
        let tx = super::serve_until_dropped(listener, router);
        Self {
            addr,
            issuer,
            keys: published,
            fetches,
            shutdown: Some(tx),
        }
    }

    /// How many times the JWKS was fetched.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    /// Publishes `keys` instead of the current set.
    pub fn publish(&self, keys: &[&TestKey]) {
        *self.keys.lock().expect("lock") = keys.iter().map(|k| k.public_jwk.clone()).collect();
    }

    /// Stops answering.
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for KeyServer {
    fn drop(&mut self) {
        self.stop();
    }
}
