//! A fixed-window rate limit per client (an IP, a subject): at most `limit` requests per window,
//! counted in the process ([`RateLimiter`]) or, when the store shares counters between instances
//! (Redis), in the store ([`SharedLimit`]).
//!
//! The table is bounded: stale windows are dropped when it fills, so a flood of distinct
//! clients cannot grow it without limit.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use crate::clock::Clock;
use crate::store::Store;
use frontmcp_auth_config::RateLimit;

/// Requests per client per window, in the process.
#[derive(Debug)]
pub struct RateLimiter<K = IpAddr> {
    limit: u64,
    window: u64,
    max_clients: usize,
    clock: Clock,
    counters: Mutex<HashMap<K, (u64, u64)>>,
}

/// A limit counted in the store when it shares counters (every instance sees one count), else
/// in the process; the process also counts while the shared counter is down.
pub struct SharedLimit {
    /// The limit's name (its configuration key, the counter's prefix, the metrics label).
    pub name: &'static str,
    /// The limit.
    pub limit: RateLimit,
    local: RateLimiter<String>,
    store: Option<Arc<dyn Store>>,
    clock: Clock,
}

impl std::fmt::Debug for SharedLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedLimit")
            .field("name", &self.name)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl SharedLimit {
    /// `limit` named `name`, shared through `store` when it can.
    pub fn new(
        name: &'static str,
        limit: RateLimit,
        store: Option<Arc<dyn Store>>,
        clock: Clock,
    ) -> Self {
        Self {
            name,
            limit,
            local: RateLimiter::new(limit.limit, limit.window, clock.clone()),
            store,
            clock,
        }
    }

    /// One request of `client`: `Err(seconds)` when over the limit.
    ///
    /// # Errors
    ///
    /// The number of seconds until the window resets.
    pub async fn check(&self, client: &str) -> Result<(), u64> {
        let now = self.clock.now();
        let window = self.limit.window.max(1);
        let start = now - now % window;
        let retry_after = (start + window - now).max(1);
        let key = format!("{}:{start}:{client}", self.name);
        let Some(hit) = self.store.as_ref().and_then(|s| s.hit(&key, window)) else {
            return self.local.check(client.to_owned());
        };
        match hit.await {
            Ok(count) if count > self.limit.limit => Err(retry_after),
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::warn!(target: "frontmcp_auth::http", error = %e, "shared rate-limit counter unavailable; counting locally");
                self.local.check(client.to_owned())
            }
        }
    }
}

impl<K: Hash + Eq> RateLimiter<K> {
    /// At most `limit` requests per `window` seconds per IP.
    pub fn new(limit: u64, window: u64, clock: Clock) -> Self {
        Self {
            limit,
            window: window.max(1),
            max_clients: 100_000,
            clock,
            counters: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request from `ip`: `Ok(())`, or `Err(seconds)` until the window resets.
    ///
    /// # Errors
    ///
    /// The number of seconds to wait when `ip` is over the limit.
    pub fn check(&self, ip: K) -> Result<(), u64> {
        let now = self.clock.now();
        let window_start = now - now % self.window;
        let Ok(mut counters) = self.counters.lock() else {
            return Ok(());
        };
        if counters.len() >= self.max_clients && !counters.contains_key(&ip) {
            counters.retain(|_, (start, _)| *start == window_start);
        }
        let entry = counters.entry(ip).or_insert((window_start, 0));
        if entry.0 != window_start {
            *entry = (window_start, 0);
        }
        if entry.1 >= self.limit {
            return Err((window_start + self.window - now).max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_after_the_limit_waits_for_the_next_window() {
        let clock = Clock::manual(120);
        let limiter: RateLimiter = RateLimiter::new(60, 60, clock.clone());
        let ip: IpAddr = "192.0.2.1".parse().expect("ip");
        for _ in 0..60 {
            assert_eq!(limiter.check(ip), Ok(()));
        }
        clock.advance(15);
        assert_eq!(limiter.check(ip), Err(45));
        let other: IpAddr = "192.0.2.2".parse().expect("ip");
        assert_eq!(limiter.check(other), Ok(()));
        clock.advance(45);
        assert_eq!(limiter.check(ip), Ok(()));
    }
}
