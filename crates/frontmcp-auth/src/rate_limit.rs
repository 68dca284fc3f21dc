//! A fixed-window rate limit per client (an IP, a subject): at most `limit` requests per window,
//! counted in the process ([`RateLimiter`]) or, when the store shares counters between instances
//! (Redis), in the store ([`SharedLimit`]).
//!
//! The table is bounded: when it fills, stale windows are dropped, then the oldest clients, so a
//! flood of distinct clients never grows it past its cap. An IPv6 client is counted by its /64
//! (one host usually holds a whole /64, so counting single addresses would let it spray).

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex};

use crate::clock::Clock;
use crate::store::Store;
use frontmcp_auth_config::RateLimit;

/// The most clients a [`RateLimiter`] remembers.
pub const MAX_CLIENTS: usize = 100_000;

/// The key an address is counted under: an IPv4 address itself (also when written as an
/// IPv4-mapped IPv6 address), an IPv6 address by its /64.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// The counters, and the order clients arrived in (each client once), to shed the oldest.
#[derive(Debug)]
struct Counters<K> {
    counts: HashMap<K, (u64, u64)>,
    arrivals: VecDeque<K>,
    /// The window whose stale entries were last dropped (once per window: it is a scan).
    swept: Option<u64>,
}

/// Requests per client per window, in the process.
#[derive(Debug)]
pub struct RateLimiter<K = IpAddr> {
    limit: u64,
    window: u64,
    max_clients: usize,
    clock: Clock,
    counters: Mutex<Counters<K>>,
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

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    /// At most `limit` requests per `window` seconds per client, remembering at most
    /// [`MAX_CLIENTS`] clients.
    pub fn new(limit: u64, window: u64, clock: Clock) -> Self {
        Self::with_capacity(limit, window, MAX_CLIENTS, clock)
    }

    /// As [`RateLimiter::new`], remembering at most `max_clients` clients.
    pub fn with_capacity(limit: u64, window: u64, max_clients: usize, clock: Clock) -> Self {
        Self {
            limit,
            window: window.max(1),
            max_clients: max_clients.max(1),
            clock,
            counters: Mutex::new(Counters {
                counts: HashMap::new(),
                arrivals: VecDeque::new(),
                swept: None,
            }),
        }
    }

    /// How many clients are remembered.
    pub fn len(&self) -> usize {
        self.counters.lock().map(|c| c.counts.len()).unwrap_or(0)
    }

    /// Whether no client is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Counts one request from `client`: `Ok(())`, or `Err(seconds)` until the window resets.
    ///
    /// # Errors
    ///
    /// The number of seconds to wait when `client` is over the limit.
    pub fn check(&self, client: K) -> Result<(), u64> {
        let now = self.clock.now();
        let window_start = now - now % self.window;
        let Ok(mut guard) = self.counters.lock() else {
            return Ok(());
        };
        let counters = &mut *guard;
        if !counters.counts.contains_key(&client) {
            if counters.counts.len() >= self.max_clients {
                // Stale windows first (once per window), then the oldest clients: never past
                // the cap.
                if counters.swept != Some(window_start) {
                    counters.swept = Some(window_start);
                    counters
                        .counts
                        .retain(|_, (start, _)| *start == window_start);
                    let counts = &counters.counts;
                    counters.arrivals.retain(|k| counts.contains_key(k));
                }
                while counters.counts.len() >= self.max_clients {
                    let Some(oldest) = counters.arrivals.pop_front() else {
                        break;
                    };
                    counters.counts.remove(&oldest);
                }
            }
            counters.arrivals.push_back(client.clone());
        }
        let entry = counters.counts.entry(client).or_insert((window_start, 0));
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
    fn a_spray_of_distinct_addresses_never_grows_the_table_past_its_cap() {
        let clock = Clock::manual(0);
        let limiter: RateLimiter = RateLimiter::with_capacity(5, 60, 1_000, clock.clone());
        for i in 0..20_000u32 {
            let ip = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            assert_eq!(limiter.check(client_key(ip)), Ok(()));
            assert!(
                limiter.len() <= 1_000,
                "{} clients after {i}",
                limiter.len()
            );
        }
        assert_eq!(limiter.len(), 1_000);
        // The newest are remembered; the limit still applies to them.
        let last = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + 19_999));
        for _ in 0..4 {
            assert_eq!(limiter.check(last), Ok(()));
        }
        assert!(limiter.check(last).is_err());
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_slash_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:ffff:1:2:3".parse().expect("ip");
        let other: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().expect("ip");
        assert_eq!(
            client_key(mapped),
            "192.0.2.7".parse::<IpAddr>().expect("ip")
        );
        let limiter: RateLimiter = RateLimiter::new(2, 60, Clock::manual(0));
        assert_eq!(limiter.check(client_key(a)), Ok(()));
        assert_eq!(limiter.check(client_key(b)), Ok(()));
        assert!(limiter.check(client_key(b)).is_err(), "one /64, one count");
        assert_eq!(limiter.check(client_key(other)), Ok(()));
    }

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
