//! Transparent mode: verify JWT access tokens issued by an external identity provider.
//!
//! A token that verified is kept (by hash) until its `exp`, so a client calling tools with one
//! token pays the signature once; the kept tokens are forgotten whenever the provider's key set
//! is fetched again, so a key the provider removed stops verifying at the next refresh, as it
//! would without the cache.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::future::BoxFuture;
use jsonwebtoken::Algorithm;
use serde_json::Value;

use super::jwks::JwksCache;
use crate::clock::Clock;
use crate::verify::{AuthContext, Rejection, TokenVerifier, VerifiedTokens, scopes_of};

/// Verifies provider-issued JWTs: signature with the provider's key (algorithm pinned to the
/// key), `exp`/`nbf`, `iss`, `aud`.
#[derive(Debug)]
pub struct TransparentVerifier {
    keys: Arc<JwksCache>,
    issuers: Vec<String>,
    verify_issuer: bool,
    audiences: Vec<String>,
    require_audience: bool,
    leeway: u64,
    clock: Clock,
    verified: VerifiedTokens,
    /// The key set's generation the kept tokens were verified under.
    verified_under: AtomicU64,
    signature_checks: AtomicU64,
}

impl TransparentVerifier {
    /// A verifier accepting tokens from `issuers` (the provider and its additional issuers)
    /// for any of `audiences`.
    pub fn new(keys: Arc<JwksCache>, issuers: Vec<String>, audiences: Vec<String>) -> Self {
        Self {
            keys,
            issuers,
            verify_issuer: true,
            audiences,
            require_audience: true,
            leeway: 60,
            clock: Clock::system(),
            verified: VerifiedTokens::default(),
            verified_under: AtomicU64::new(0),
            signature_checks: AtomicU64::new(0),
        }
    }

    /// How many tokens had their signature checked (the others were answered from the kept
    /// verified tokens).
    pub fn signature_checks(&self) -> u64 {
        self.signature_checks.load(Ordering::Relaxed)
    }

    /// Verifies `token`, from the kept verified tokens when it verified before under the
    /// current key set.
    async fn verify_cached(&self, token: &str) -> Result<AuthContext, String> {
        let generation = self.keys.generation().await;
        if self.verified_under.swap(generation, Ordering::Relaxed) != generation {
            self.verified.clear();
        }
        // The prefix keeps these entries apart from any other use of the key space.
        const BASE: &str = "transparent";
        let now = self.clock.now();
        if let Some(context) = self.verified.get(BASE, token, now) {
            return Ok(context);
        }
        self.signature_checks.fetch_add(1, Ordering::Relaxed);
        let context = self.check(token).await?;
        // Kept until `exp` itself: past it the leeway is judged by a full check again. Not kept
        // when the key set changed meanwhile (the key may be gone).
        if let Some(expires_at) = context.expires_at
            && self.keys.current_generation() == generation
        {
            self.verified.put(BASE, token, &context, expires_at, now);
        }
        Ok(context)
    }

    /// The clock `exp` and `nbf` are checked against (default: the system clock).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// A verifier for the provider whose issuer is `issuer`: keys discovered from its metadata
    /// (RFC 8414, then OpenID), fetched with the default timeout and size cap, cached with the
    /// default timings, and time claims checked against `clock`.
    pub fn discovering(issuer: &str, audiences: Vec<String>, clock: Clock) -> Self {
        let cache = JwksCache::new(
            super::JwksSource::Discover(issuer.to_owned()),
            super::HttpFetcher::default(),
            super::JwksOptions::default(),
            clock.clone(),
        );
        Self::new(Arc::new(cache), vec![issuer.to_owned()], audiences).clock(clock)
    }

    /// Whether `iss` is checked (default: yes).
    pub fn verify_issuer(mut self, verify: bool) -> Self {
        self.verify_issuer = verify;
        self
    }

    /// Whether a token without `aud` is refused (default: yes).
    pub fn require_audience(mut self, require: bool) -> Self {
        self.require_audience = require;
        self
    }

    /// Clock skew tolerated on `exp` and `nbf`, in seconds (default: 60).
    pub fn leeway(mut self, seconds: u64) -> Self {
        self.leeway = seconds;
        self
    }

    /// The key cache (for its fetch counters).
    pub fn keys(&self) -> &Arc<JwksCache> {
        &self.keys
    }

    async fn check(&self, token: &str) -> Result<AuthContext, String> {
        let header = crate::token::checked_header(token)?;
        if matches!(
            header.alg,
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
        ) {
            return Err(String::from("symmetric algorithms are not accepted"));
        }
        let key = self
            .keys
            .key(header.kid.as_deref())
            .await
            .ok_or_else(|| String::from("the token is signed with an unknown key"))?;
        if !key.algorithms.contains(&header.alg) {
            return Err(format!("{:?} does not match the signing key", header.alg));
        }
        let claims = crate::token::verified_claims(
            token,
            header.alg,
            &key.key,
            self.clock.now(),
            self.leeway,
        )?;
        if self.verify_issuer {
            let iss = claims
                .get("iss")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !self.issuers.iter().any(|i| i == iss) {
                return Err(String::from("the token is from another issuer"));
            }
        }
        let audiences: Vec<&str> = match claims.get("aud") {
            Some(Value::String(aud)) => vec![aud.as_str()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if audiences.is_empty() {
            if self.require_audience {
                return Err(String::from("the token has no audience"));
            }
        } else if !audiences
            .iter()
            .any(|a| self.audiences.iter().any(|e| e == a))
        {
            return Err(String::from("the token is for another audience"));
        }
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| String::from("the token has no subject"))?
            .to_owned();
        let client_id = ["client_id", "azp", "cid"]
            .iter()
            .find_map(|name| claims.get(*name).and_then(Value::as_str))
            .map(str::to_owned);
        Ok(AuthContext {
            subject,
            anonymous: false,
            scopes: scopes_of(&claims),
            client_id,
            session_id: claims.get("sid").and_then(Value::as_str).map(str::to_owned),
            expires_at: claims.get("exp").and_then(Value::as_u64),
            claims: std::sync::Arc::new(claims),
            upstream: None,
        })
    }
}

impl TokenVerifier for TransparentVerifier {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<AuthContext, Rejection>> {
        Box::pin(async move {
            self.verify_cached(token)
                .await
                .map_err(|description| Rejection::InvalidToken { description })
        })
    }
}
