//! Backoff after failed sign-ins, per account and per client address: after `max_failures`
//! failures for an account (or `max_failures_per_ip` from one address; IPv6 by its /64) within
//! `failure_window` seconds, further attempts are refused unchecked until the window ends.
//! Counters live in the store when it is shared (Redis), so every instance sees the same
//! count; otherwise in this process, in a bounded table.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use crate::clock::Clock;
use crate::secrets::digest;
use crate::store::Store;

/// The most counters kept in process; past it, expired windows are dropped first and then
/// the oldest.
const MAX_LOCAL_COUNTERS: usize = 100_000;

/// Limits of [`Backoff`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffLimits {
    /// Failures per account per window.
    pub per_account: u64,
    /// Failures per address per window.
    pub per_ip: u64,
    /// The window, in seconds.
    pub window: u64,
}

/// Failed sign-in counters.
pub struct Backoff {
    limits: BackoffLimits,
    store: Arc<dyn Store>,
    clock: Clock,
    local: Mutex<HashMap<String, (u64, u64)>>,
}

impl std::fmt::Debug for Backoff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backoff")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// The counter key of an address: IPv4 whole, IPv6 by its /64 (one host holds a /64).
fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("login:ip:{v4}"),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("login:ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

fn account_key(account: &str) -> String {
    format!("login:account:{}", digest(account))
}

impl Backoff {
    /// Counters with `limits`, shared through `store` when it shares counters.
    pub fn new(limits: BackoffLimits, store: Arc<dyn Store>, clock: Clock) -> Self {
        Self {
            limits,
            store,
            clock,
            local: Mutex::new(HashMap::new()),
        }
    }

    fn keys(account: Option<&str>, ip: Option<IpAddr>) -> Vec<(String, bool)> {
        let mut keys = Vec::new();
        if let Some(account) = account {
            keys.push((account_key(account), true));
        }
        if let Some(ip) = ip {
            keys.push((address_key(ip), false));
        }
        keys
    }

    /// Whether the account or the address must wait: `Some(seconds)` at most until the window
    /// ends. A store that cannot answer does not lock anyone out.
    pub async fn locked(&self, account: Option<&str>, ip: Option<IpAddr>) -> Option<u64> {
        for (key, is_account) in Self::keys(account, ip) {
            let limit = if is_account {
                self.limits.per_account
            } else {
                self.limits.per_ip
            };
            if self.count(&key).await >= limit {
                return Some(self.limits.window);
            }
        }
        None
    }

    /// Counts one failure for the account and the address.
    pub async fn failed(&self, account: Option<&str>, ip: Option<IpAddr>) {
        for (key, _) in Self::keys(account, ip) {
            match self.store.hit(&key, self.limits.window) {
                Some(hit) => {
                    if let Err(error) = hit.await {
                        tracing::warn!(target: "frontmcp_auth::login", "cannot count a failed sign-in: {error}");
                    }
                }
                None => self.hit_local(&key),
            }
        }
    }

    async fn count(&self, key: &str) -> u64 {
        match self.store.peek(key) {
            Some(peek) => peek.await.unwrap_or(0),
            None => self.count_local(key),
        }
    }

    fn count_local(&self, key: &str) -> u64 {
        let now = self.clock.now();
        self.local
            .lock()
            .ok()
            .and_then(|table| table.get(key).copied())
            .filter(|(ends, _)| *ends > now)
            .map_or(0, |(_, count)| count)
    }

    fn hit_local(&self, key: &str) {
        let now = self.clock.now();
        let Ok(mut table) = self.local.lock() else {
            return;
        };
        if table.len() >= MAX_LOCAL_COUNTERS && !table.contains_key(key) {
            table.retain(|_, (ends, _)| *ends > now);
            if table.len() >= MAX_LOCAL_COUNTERS
                && let Some(oldest) = table
                    .iter()
                    .min_by_key(|(_, (ends, _))| *ends)
                    .map(|(k, _)| k.clone())
            {
                table.remove(&oldest);
            }
        }
        let entry = table
            .entry(key.to_owned())
            .or_insert((now + self.limits.window, 0));
        if entry.0 <= now {
            *entry = (now + self.limits.window, 0);
        }
        entry.1 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_count_by_their_64_prefix() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().expect("ip");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
    }

    #[tokio::test]
    async fn an_account_waits_after_its_limit_until_the_window_ends() {
        let clock = Clock::manual(1_000);
        let store: Arc<dyn Store> = Arc::new(crate::store::MemoryStore::new(clock.clone()));
        let limits = BackoffLimits {
            per_account: 3,
            per_ip: 10,
            window: 60,
        };
        let backoff = Backoff::new(limits, store, clock.clone());
        let ip: IpAddr = "192.0.2.7".parse().expect("ip");
        for _ in 0..3 {
            assert_eq!(backoff.locked(Some("ada"), Some(ip)).await, None);
            backoff.failed(Some("ada"), Some(ip)).await;
        }
        assert_eq!(backoff.locked(Some("ada"), None).await, Some(60));
        assert_eq!(backoff.locked(Some("grace"), Some(ip)).await, None);
        clock.advance(61);
        assert_eq!(backoff.locked(Some("ada"), Some(ip)).await, None);
    }
}
