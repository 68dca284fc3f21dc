//! A bounded cache of verified access tokens, so a client calling tools with one token pays the
//! signature check once.
//!
//! Keyed by the SHA-256 of the request's base URL and the token (issuer and audience follow the
//! base, and the token itself is never kept). An entry lives until the token's `exp`; clearing
//! it is the owner's job when what made the token valid changes (a key rotation). Only tokens
//! that verified are cached, so a flood of forged or distinct bad tokens adds nothing; the
//! cache holds at most its capacity and sheds its oldest entries first.
//!
//! What the cache keeps is the stateless part of the check (signature, expiry, issuer,
//! audience, claims). Whether the token's session was revoked is checked on every call, by
//! [`SessionChecks`] against the store's revocation count.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use super::AuthContext;

/// Entries a verifier keeps by default, of each kind.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// How long a session found live is trusted without reading it again, in seconds, when no
/// revocation happened meanwhile.
pub const SESSION_TRUST_SECONDS: u64 = 30;

/// A map of at most `capacity` entries that sheds its oldest first.
struct Bounded<K, V> {
    entries: HashMap<K, V>,
    /// Insertion order, for shedding the oldest entry when full.
    order: VecDeque<K>,
    capacity: usize,
}

impl<K: std::hash::Hash + Eq + Clone, V> Bounded<K, V> {
    fn new(capacity: usize) -> Self {
        Self {
            entries: HashMap::new(),
            order: VecDeque::new(),
            capacity,
        }
    }

    /// Inserts `key`, then sheds the oldest entries that are `expired` (a few per insert, so a
    /// cache of short-lived entries stays near its live size rather than filling to capacity),
    /// and the oldest of all past the capacity.
    fn insert(&mut self, key: K, value: V, expired: impl Fn(&V) -> bool) {
        if self.capacity == 0 {
            return;
        }
        for _ in 0..4 {
            let Some(front) = self.order.front() else {
                break;
            };
            match self.entries.get(front) {
                Some(entry) if !expired(entry) => break,
                _ => {
                    if let Some(gone) = self.order.pop_front() {
                        self.entries.remove(&gone);
                    }
                }
            }
        }
        if self.entries.insert(key.clone(), value).is_some() {
            return;
        }
        self.order.push_back(key);
        while self.entries.len() > self.capacity {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            self.entries.remove(&oldest);
        }
        // Keys of entries removed early stay queued until they come up; keep the queue within
        // twice the capacity.
        if self.order.len() > 2 * self.capacity {
            let entries = &self.entries;
            self.order.retain(|k| entries.contains_key(k));
        }
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
    }
}

type Key = [u8; 32];

struct Entry {
    context: AuthContext,
    expires_at: u64,
}

/// Verified tokens, bounded. See the module documentation.
pub struct VerifiedTokens {
    inner: Mutex<Bounded<Key, Entry>>,
}

impl std::fmt::Debug for VerifiedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedTokens")
            .field("len", &self.len())
            .finish()
    }
}

impl Default for VerifiedTokens {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

fn key_of(base: &str, token: &str) -> Key {
    let mut hasher = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    hasher.update(base.as_bytes());
    hasher.update(&[0]);
    hasher.update(token.as_bytes());
    let mut key = [0u8; 32];
    key.copy_from_slice(hasher.finish().as_ref());
    key
}

impl VerifiedTokens {
    /// A cache of at most `capacity` tokens (0 turns caching off).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Bounded::new(capacity)),
        }
    }

    /// The caller of `token` sent to `base`, if it verified before and has not expired at `now`.
    pub fn get(&self, base: &str, token: &str, now: u64) -> Option<AuthContext> {
        let mut inner = self.inner.lock().ok()?;
        if inner.capacity == 0 {
            return None;
        }
        let key = key_of(base, token);
        match inner.entries.get(&key) {
            Some(entry) if now < entry.expires_at => Some(entry.context.clone()),
            Some(_) => {
                inner.entries.remove(&key);
                None
            }
            None => None,
        }
    }

    /// Keeps `context` for `token` sent to `base` until `expires_at` (`now` is the time now:
    /// tokens that expired before it go).
    pub fn put(&self, base: &str, token: &str, context: &AuthContext, expires_at: u64, now: u64) {
        if let Ok(mut inner) = self.inner.lock() {
            let entry = Entry {
                context: context.clone(),
                expires_at,
            };
            inner.insert(key_of(base, token), entry, |e| e.expires_at <= now);
        }
    }

    /// Forgets every token (the signing keys changed).
    pub fn clear(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.clear();
        }
    }

    /// How many tokens are kept.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|i| i.entries.len()).unwrap_or(0)
    }

    /// Whether no token is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A session found live: when, at which revocation count, and until when it lasts.
struct LiveSession {
    revocations: u64,
    checked_at: u64,
    expires_at: u64,
}

/// Sessions (refresh families) found live, so the stateful check does not read the store on
/// every call. An entry answers only while the store's revocation count is the one it was read
/// at (any revocation on any instance sharing the store changes it), for at most
/// [`SESSION_TRUST_SECONDS`], and before the session's own expiry.
pub struct SessionChecks {
    inner: Mutex<Bounded<String, LiveSession>>,
}

impl std::fmt::Debug for SessionChecks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionChecks").finish_non_exhaustive()
    }
}

impl Default for SessionChecks {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

impl SessionChecks {
    /// At most `capacity` sessions (0 turns caching off).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Bounded::new(capacity)),
        }
    }

    /// Whether `session` was found live at revocation count `revocations`, recently enough.
    pub fn is_live(&self, session: &str, revocations: u64, now: u64) -> bool {
        let Ok(inner) = self.inner.lock() else {
            return false;
        };
        inner.entries.get(session).is_some_and(|live| {
            live.revocations == revocations
                && now < live.expires_at
                && now < live.checked_at.saturating_add(SESSION_TRUST_SECONDS)
        })
    }

    /// Notes that `session` was read live after the revocation count was `revocations`.
    pub fn found_live(&self, session: &str, revocations: u64, now: u64, expires_at: u64) {
        if let Ok(mut inner) = self.inner.lock() {
            let live = LiveSession {
                revocations,
                checked_at: now,
                expires_at,
            };
            match inner.entries.get_mut(session) {
                Some(entry) => *entry = live,
                None => inner.insert(session.to_owned(), live, |old| {
                    now >= old.expires_at
                        || now >= old.checked_at.saturating_add(SESSION_TRUST_SECONDS)
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(subject: &str) -> AuthContext {
        AuthContext {
            subject: subject.to_owned(),
            anonymous: false,
            scopes: Vec::new(),
            client_id: None,
            session_id: None,
            expires_at: None,
            claims: Default::default(),
            upstream: None,
        }
    }

    #[test]
    fn a_token_is_served_until_it_expires_and_only_for_its_base() {
        let cache = VerifiedTokens::with_capacity(8);
        cache.put("http://a", "token", &context("ada"), 100, 0);
        assert_eq!(
            cache.get("http://a", "token", 99).map(|c| c.subject),
            Some("ada".into())
        );
        assert!(cache.get("http://b", "token", 99).is_none());
        assert!(cache.get("http://a", "other", 99).is_none());
        assert!(cache.get("http://a", "token", 100).is_none());
        assert!(cache.is_empty(), "an expired entry is dropped when met");
    }

    #[test]
    fn a_flood_of_distinct_tokens_never_grows_it_past_its_capacity() {
        let cache = VerifiedTokens::with_capacity(100);
        for i in 0..10_000 {
            cache.put("http://a", &format!("token-{i}"), &context("ada"), 1_000, 0);
            assert!(cache.len() <= 100);
        }
        assert_eq!(cache.len(), 100);
        assert!(
            cache.get("http://a", "token-0", 1).is_none(),
            "the oldest went first"
        );
        assert!(cache.get("http://a", "token-9999", 1).is_some());
        let queued = cache.inner.lock().map(|i| i.order.len()).unwrap_or(0);
        assert!(queued <= 200, "{queued}");
    }

    #[test]
    fn clearing_forgets_every_token_and_capacity_zero_keeps_none() {
        let cache = VerifiedTokens::with_capacity(8);
        cache.put("http://a", "token", &context("ada"), 100, 0);
        cache.clear();
        assert!(cache.get("http://a", "token", 1).is_none());
        let off = VerifiedTokens::with_capacity(0);
        off.put("http://a", "token", &context("ada"), 100, 0);
        assert!(off.get("http://a", "token", 1).is_none());
    }

    #[test]
    fn expired_tokens_go_as_new_ones_arrive_so_the_cache_stays_near_its_live_size() {
        let cache = VerifiedTokens::with_capacity(10_000);
        // A token a second, each living 60 s: about 60 are live at any time.
        for second in 0..1_000u64 {
            let token = format!("token-{second}");
            cache.put("http://a", &token, &context("ada"), second + 60, second);
        }
        assert!(cache.len() <= 64, "{} kept of 1 000, 60 live", cache.len());
        assert!(cache.get("http://a", "token-999", 999).is_some());
    }
}

#[cfg(test)]
mod session_tests {
    use super::*;

    #[test]
    fn a_live_session_is_trusted_until_a_revocation_its_expiry_or_the_trust_window() {
        let checks = SessionChecks::with_capacity(8);
        assert!(!checks.is_live("s", 0, 10));
        checks.found_live("s", 3, 10, 1_000);
        assert!(checks.is_live("s", 3, 10));
        assert!(!checks.is_live("s", 4, 11), "a revocation anywhere");
        assert!(!checks.is_live("s", 3, 10 + SESSION_TRUST_SECONDS));
        checks.found_live("s", 4, 990, 1_000);
        assert!(checks.is_live("s", 4, 999));
        assert!(!checks.is_live("s", 4, 1_000), "the session's own expiry");
    }

    #[test]
    fn sessions_are_bounded() {
        let checks = SessionChecks::with_capacity(10);
        for i in 0..1_000 {
            checks.found_live(&format!("s{i}"), 0, 1, 100);
        }
        let len = checks.inner.lock().map(|i| i.entries.len()).unwrap_or(0);
        assert_eq!(len, 10);
        assert!(checks.is_live("s999", 0, 2));
        assert!(!checks.is_live("s0", 0, 2));
    }
}
