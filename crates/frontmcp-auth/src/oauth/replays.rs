//! How many times the previous refresh token of a family was replayed within the grace window.
//! A client retrying a refresh whose answer it lost gets the same pair again, a bounded number of
//! times ([`MAX_GRACE_REPLAYS`] per rotation); past that, a retry gets `invalid_grant` (the family
//! stays: the retries race one rotation). The
//! count is shared through the store where the backend shares counters (Redis), else kept in
//! the process, bounded.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::store::Store;

/// Replays of one rotation's previous token allowed within the grace window (enough for a
/// client's concurrent requests racing one rotation).
pub const MAX_GRACE_REPLAYS: u64 = 20;

/// Counters kept in the process at most.
const MAX_LOCAL: usize = 10_000;

/// The process's counters: key to (count, until).
#[derive(Debug, Default)]
pub(crate) struct ReplayCounts {
    local: Mutex<HashMap<String, (u64, u64)>>,
}

impl ReplayCounts {
    /// Counts one replay of generation `generation` of family `family_id`, the counter living
    /// until `until` (`ttl` seconds from `now`); the count so far, this one included.
    pub(crate) async fn count(
        &self,
        store: &dyn Store,
        family_id: &str,
        generation: u64,
        now: u64,
        ttl: u64,
    ) -> u64 {
        let key = format!("replay:{family_id}:{generation}");
        if let Some(hit) = store.hit(&key, ttl.max(1)) {
            match hit.await {
                Ok(count) => return count,
                Err(e) => {
                    tracing::warn!(target: "frontmcp_auth::oauth", error = %e, "cannot count a refresh replay in the store; counting in the process");
                }
            }
        }
        let Ok(mut local) = self.local.lock() else {
            return u64::MAX;
        };
        if local.len() >= MAX_LOCAL && !local.contains_key(&key) {
            local.retain(|_, (_, until)| *until > now);
            if local.len() >= MAX_LOCAL {
                local.clear();
            }
        }
        let entry = local.entry(key).or_insert((0, now + ttl));
        if entry.1 <= now {
            *entry = (0, now + ttl);
        }
        entry.0 += 1;
        entry.0
    }
}
