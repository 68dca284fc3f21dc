//! The provider's signing keys: inline, from `jwks_uri`, or discovered from its metadata.
//!
//! Keys are cached for a TTL. When a refresh fails, the stale keys keep serving and the next
//! attempt waits with exponential backoff. A token with an unknown `kid` triggers at most one
//! refetch per cool-down, so a flood of forged `kid`s cannot hammer the provider.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use tokio::sync::Mutex;

use super::fetch::{FetchError, HttpFetcher};
use crate::clock::Clock;

/// One verification key with the algorithms it may verify.
#[derive(Clone)]
pub struct VerifyKey {
    /// The key id.
    pub kid: Option<String>,
    /// The algorithms pinned to this key.
    pub algorithms: Vec<Algorithm>,
    /// The key.
    pub key: DecodingKey,
}

impl std::fmt::Debug for VerifyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyKey")
            .field("kid", &self.kid)
            .field("algorithms", &self.algorithms)
            .finish_non_exhaustive()
    }
}

const RSA_FAMILY: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];

/// Converts a JWKS document into verification keys. Symmetric keys, encryption keys and keys
/// this library cannot use are skipped, never trusted.
pub fn keys_from_jwks(document: &serde_json::Value) -> Vec<VerifyKey> {
    let Some(keys) = document.get("keys").and_then(serde_json::Value::as_array) else {
        return Vec::new();
    };
    keys.iter()
        .filter_map(|value| serde_json::from_value::<Jwk>(value.clone()).ok())
        .filter(|jwk| !matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)))
        .filter_map(|jwk| {
            let algorithms = algorithms_for(&jwk)?;
            let key = DecodingKey::from_jwk(&jwk).ok()?;
            Some(VerifyKey {
                kid: jwk.common.key_id.clone(),
                algorithms,
                key,
            })
        })
        .collect()
}

/// The algorithms a key may verify: its `alg` when given, else its family. Never HMAC.
fn algorithms_for(jwk: &Jwk) -> Option<Vec<Algorithm>> {
    let family: Vec<Algorithm> = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => RSA_FAMILY.to_vec(),
        AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
            EllipticCurve::P256 => vec![Algorithm::ES256],
            EllipticCurve::P384 => vec![Algorithm::ES384],
            _ => return None,
        },
        AlgorithmParameters::OctetKeyPair(_) => vec![Algorithm::EdDSA],
        _ => return None,
    };
    match jwk.common.key_algorithm {
        None => Some(family),
        Some(declared) => {
            let declared = match declared {
                KeyAlgorithm::RS256 => Algorithm::RS256,
                KeyAlgorithm::RS384 => Algorithm::RS384,
                KeyAlgorithm::RS512 => Algorithm::RS512,
                KeyAlgorithm::PS256 => Algorithm::PS256,
                KeyAlgorithm::PS384 => Algorithm::PS384,
                KeyAlgorithm::PS512 => Algorithm::PS512,
                KeyAlgorithm::ES256 => Algorithm::ES256,
                KeyAlgorithm::ES384 => Algorithm::ES384,
                KeyAlgorithm::EdDSA => Algorithm::EdDSA,
                _ => return None,
            };
            family.contains(&declared).then(|| vec![declared])
        }
    }
}

/// Where the keys come from.
#[derive(Debug, Clone)]
pub enum JwksSource {
    /// A fixed set given in configuration.
    Inline(Vec<VerifyKey>),
    /// Fetched from this URL.
    Uri(String),
    /// Fetched from the `jwks_uri` of the provider's metadata (RFC 8414, then OpenID discovery).
    Discover(String),
}

/// Cache timings.
#[derive(Debug, Clone, Copy)]
pub struct JwksOptions {
    /// How long fetched keys are fresh, in seconds. Default: 600.
    pub ttl: u64,
    /// Least time between refetches caused by unknown `kid`s, in seconds. Default: 30.
    pub unknown_kid_cooldown: u64,
    /// Longest wait between attempts after failures, in seconds. Default: 300.
    pub max_backoff: u64,
}

impl Default for JwksOptions {
    fn default() -> Self {
        Self {
            ttl: 600,
            unknown_kid_cooldown: 30,
            max_backoff: 300,
        }
    }
}

#[derive(Default)]
struct State {
    keys: Arc<Vec<VerifyKey>>,
    fetched_at: Option<u64>,
    next_attempt: u64,
    failures: u32,
    last_kid_refetch: Option<u64>,
    jwks_uri: Option<String>,
}

/// The cached keys of one provider.
pub struct JwksCache {
    source: JwksSource,
    fetcher: HttpFetcher,
    options: JwksOptions,
    clock: Clock,
    state: Mutex<State>,
    fetches: AtomicU64,
    fetch_errors: AtomicU64,
    /// Successful fetches: the key set's generation.
    refreshes: AtomicU64,
}

impl std::fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksCache")
            .field("source", &self.source)
            .field("fetches", &self.fetch_count())
            .finish_non_exhaustive()
    }
}

impl JwksCache {
    /// A cache over `source`.
    pub fn new(
        source: JwksSource,
        fetcher: HttpFetcher,
        options: JwksOptions,
        clock: Clock,
    ) -> Self {
        Self {
            source,
            fetcher,
            options,
            clock,
            state: Mutex::new(State::default()),
            fetches: AtomicU64::new(0),
            fetch_errors: AtomicU64::new(0),
            refreshes: AtomicU64::new(0),
        }
    }

    /// How many JWKS fetches were attempted.
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// How many JWKS fetches failed.
    pub fn fetch_error_count(&self) -> u64 {
        self.fetch_errors.load(Ordering::Relaxed)
    }

    /// The key set's generation (how many fetches succeeded), after refreshing the keys when
    /// they are due, as [`Self::key`] would. A verifier that keeps verified tokens forgets them
    /// when it changes, so a key the provider removed stops verifying at the next refresh.
    pub async fn generation(&self) -> u64 {
        if !matches!(self.source, JwksSource::Inline(_)) {
            let mut state = self.state.lock().await;
            let now = self.clock.now();
            let fresh = state.fetched_at.is_some_and(|t| now < t + self.options.ttl);
            if !fresh && now >= state.next_attempt {
                self.refresh(&mut state, now).await;
            }
        }
        self.current_generation()
    }

    /// The key set's generation as it stands, without refreshing.
    pub fn current_generation(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }

    /// The key for `kid` (or the only key when the token names none), refreshing as the rules
    /// above allow. `None` when no such key is known.
    pub async fn key(&self, kid: Option<&str>) -> Option<VerifyKey> {
        if let JwksSource::Inline(keys) = &self.source {
            return find(keys, kid);
        }
        let mut state = self.state.lock().await;
        let now = self.clock.now();
        let fresh = state.fetched_at.is_some_and(|t| now < t + self.options.ttl);
        let mut refreshed = false;
        if !fresh && now >= state.next_attempt {
            self.refresh(&mut state, now).await;
            refreshed = true;
        }
        if let Some(key) = find(&state.keys, kid) {
            return Some(key);
        }
        let cooled = state
            .last_kid_refetch
            .is_none_or(|t| now >= t + self.options.unknown_kid_cooldown);
        if kid.is_some() && cooled && !refreshed && now >= state.next_attempt {
            state.last_kid_refetch = Some(now);
            self.refresh(&mut state, now).await;
            return find(&state.keys, kid);
        }
        None
    }

    async fn refresh(&self, state: &mut State, now: u64) {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        match self.fetch_keys(state).await {
            Ok(keys) => {
                self.refreshes.fetch_add(1, Ordering::Relaxed);
                state.keys = Arc::new(keys);
                state.fetched_at = Some(now);
                state.failures = 0;
                state.next_attempt = now;
            }
            Err(err) => {
                self.fetch_errors.fetch_add(1, Ordering::Relaxed);
                crate::metrics::count(crate::metrics::Counter::JwksFetchErrors, "");
                state.failures = state.failures.saturating_add(1);
                let wait = 1u64
                    .checked_shl(state.failures.min(20))
                    .unwrap_or(u64::MAX)
                    .min(self.options.max_backoff);
                state.next_attempt = now + wait;
                tracing::warn!(target: "frontmcp_auth::jwks", error = %err, retry_in = wait, "JWKS fetch failed; serving cached keys");
            }
        }
    }

    async fn fetch_keys(&self, state: &mut State) -> Result<Vec<VerifyKey>, FetchError> {
        let uri = match (&self.source, &state.jwks_uri) {
            (JwksSource::Uri(uri), _) | (JwksSource::Discover(_), Some(uri)) => uri.clone(),
            (JwksSource::Discover(provider), None) => {
                let uri = self.discover(provider).await?;
                state.jwks_uri = Some(uri.clone());
                uri
            }
            (JwksSource::Inline(keys), _) => return Ok(keys.clone()),
        };
        let document = self.fetcher.get_json(&uri).await?;
        Ok(keys_from_jwks(&document))
    }

    /// Finds `jwks_uri` in the provider's RFC 8414 metadata, else its OpenID configuration.
    async fn discover(&self, provider: &str) -> Result<String, FetchError> {
        let mut last = None;
        for url in metadata_urls(provider) {
            match self.fetcher.get_json(&url).await {
                Ok(doc) => {
                    if let Some(uri) = doc.get("jwks_uri").and_then(serde_json::Value::as_str) {
                        return Ok(uri.to_owned());
                    }
                    last = Some(FetchError::Json {
                        url,
                        reason: String::from("no jwks_uri in the metadata"),
                    });
                }
                Err(err) => last = Some(err),
            }
        }
        Err(last.unwrap_or(FetchError::Transport {
            url: provider.to_owned(),
            reason: String::from("no metadata URL"),
        }))
    }
}

fn find(keys: &[VerifyKey], kid: Option<&str>) -> Option<VerifyKey> {
    match kid {
        Some(kid) => keys.iter().find(|k| k.kid.as_deref() == Some(kid)).cloned(),
        None if keys.len() == 1 => keys.first().cloned(),
        None => None,
    }
}

/// The metadata URLs of an issuer: RFC 8414 (path inserted after the host), then OpenID
/// discovery (path appended).
pub fn metadata_urls(issuer: &str) -> Vec<String> {
    let trimmed = issuer.trim_end_matches('/');
    let Ok(url) = url::Url::parse(trimmed) else {
        return Vec::new();
    };
    let origin = url.origin().ascii_serialization();
    let path = url.path().trim_end_matches('/');
    vec![
        format!("{origin}/.well-known/oauth-authorization-server{path}"),
        format!("{trimmed}/.well-known/openid-configuration"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_urls_insert_and_append_the_path() {
        assert_eq!(
            metadata_urls("https://auth.example.com/tenant1/"),
            [
                "https://auth.example.com/.well-known/oauth-authorization-server/tenant1",
                "https://auth.example.com/tenant1/.well-known/openid-configuration"
            ]
        );
        assert_eq!(
            metadata_urls("http://127.0.0.1:4000")[0],
            "http://127.0.0.1:4000/.well-known/oauth-authorization-server"
        );
    }

    #[test]
    fn symmetric_and_encryption_keys_are_never_trusted() {
        let jwks = serde_json::json!({"keys": [
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
            {"kty": "EC", "crv": "P-256", "use": "enc", "kid": "enc",
             "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "EC", "crv": "P-256", "kid": "sig",
             "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "weird"}
        ]});
        let keys = keys_from_jwks(&jwks);
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].kid.as_deref(), Some("sig"));
        assert_eq!(keys[0].algorithms, [Algorithm::ES256]);
    }
}
