//! A fixed-window rate limit per client IP: at most `limit` requests per window.
//!
//! The table is bounded: stale windows are dropped when it fills, so a flood of distinct
//! addresses cannot grow it without limit.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use crate::clock::Clock;

/// Requests per IP per window.
#[derive(Debug)]
pub struct RateLimiter {
    limit: u64,
    window: u64,
    max_clients: usize,
    clock: Clock,
    counters: Mutex<HashMap<IpAddr, (u64, u64)>>,
}

impl RateLimiter {
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
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
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
        let limiter = RateLimiter::new(60, 60, clock.clone());
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
