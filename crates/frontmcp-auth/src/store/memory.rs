//! The in-process store: the development default. Expired records are swept by a background
//! task (see [`super::spawn_sweeper`]) and by writes arriving a minute after the last sweep;
//! the number of records is bounded.

mod families;
mod sessions;
mod users;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;

use super::{
    ClientRecord, ClientSource, ClientStore, CodeGrant, CodeRedemption, ConsentRecord,
    ConsentStore, FamilyLookup, FamilyStore, GrantStore, Maintenance, PendingAuthorization,
    RefreshFamily, Rotation, SessionRecord, SessionStore, StoreError, StoreResult, VaultStore,
};
use crate::clock::Clock;

/// Seconds between two sweeps of expired records made by writes.
const SWEEP_INTERVAL: u64 = 60;

/// Bounds on what a [`MemoryStore`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryLimits {
    /// The most records of expiring kinds (pending authorizations, codes, refresh tokens,
    /// sessions, consent, vault entries) held at once; a write beyond it, once expired records
    /// are swept, fails as unavailable (HTTP 503) rather than growing without end.
    pub max_records: usize,
}

impl Default for MemoryLimits {
    fn default() -> Self {
        Self {
            max_records: 1_000_000,
        }
    }
}

/// The most authorization codes the memory store keeps for one subject (redeemed ones included,
/// kept for replay detection); a new one beyond it replaces the subject's oldest.
pub const MAX_CODES_PER_SUBJECT: usize = 100;

#[derive(Debug)]
struct Expiring<T> {
    value: T,
    keep_until: u64,
}

#[derive(Debug)]
struct CodeEntry {
    grant: CodeGrant,
    redeemed_by: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    clients: HashMap<String, ClientRecord>,
    pending: HashMap<String, Expiring<PendingAuthorization>>,
    codes: HashMap<String, Expiring<CodeEntry>>,
    /// The code hashes of each subject, oldest first, at most [`MAX_CODES_PER_SUBJECT`]: one
    /// user signing in in a loop replaces their own oldest codes, never fills the store.
    codes_by_subject: HashMap<String, std::collections::VecDeque<String>>,
    /// Boxed, as sessions are: a table slot then holds a pointer, not the whole record, and
    /// tables run up to half empty after they grow.
    families: HashMap<Arc<str>, Box<families::FamilyEntry>>,
    /// Refresh-token hash → (family id, generation), every generation, so that an old token
    /// presented again is recognised as reuse.
    tokens: HashMap<families::TokenKey, (Arc<str>, u64)>,
    sessions: HashMap<Arc<str>, Box<sessions::SessionEntry>>,
    /// Session ids by subject, so a subject's sessions are found without a scan (a subject has
    /// few: `security.max_concurrent_sessions` bounds them).
    sessions_by_subject: HashMap<Arc<str>, Box<[Arc<str>]>>,
    /// The client ids sessions name, each kept once; swept when no session names it.
    client_ids: HashSet<Arc<str>>,
    /// How many clients are dynamically registered, kept with `clients`.
    registered_clients: u64,
    consent: HashMap<(String, String), Expiring<ConsentRecord>>,
    vault: HashMap<String, Expiring<Vec<u8>>>,
    users: std::collections::BTreeMap<String, super::UserRecord>,
    last_sweep: u64,
}

/// Drops `id` from `subject`'s sessions in the index.
fn unindex_session(by_subject: &mut HashMap<Arc<str>, Box<[Arc<str>]>>, subject: &str, id: &str) {
    let Some(ids) = by_subject.get_mut(subject) else {
        return;
    };
    let kept: Box<[Arc<str>]> = ids
        .iter()
        .filter(|known| &***known != id)
        .cloned()
        .collect();
    if kept.is_empty() {
        by_subject.remove(subject);
    } else {
        *ids = kept;
    }
}

impl State {
    /// Drops the clients whose time is up, keeping the count of registered ones.
    fn drop_expired_clients(&mut self, now: u64) {
        self.clients.retain(|_, c| c.is_live(now));
        self.registered_clients = self
            .clients
            .values()
            .filter(|c| c.source == ClientSource::Registered)
            .count() as u64;
    }

    fn records(&self) -> usize {
        self.pending.len()
            + self.codes.len()
            + self.tokens.len()
            + self.sessions.len()
            + self.consent.len()
            + self.vault.len()
    }

    /// The kinds a sweep visits, one at a time.
    const SWEEP_STEPS: usize = 6;

    /// Drops the expired records of one kind (`step` < [`Self::SWEEP_STEPS`]); returns how many
    /// went. The background sweep takes the lock once per step, so a large store pauses its
    /// writers for one kind's scan at a time, never for the whole store.
    fn sweep_step(&mut self, step: usize, now: u64) -> usize {
        let before = self.records() + self.families.len() + self.clients.len();
        match step {
            0 => {
                self.pending.retain(|_, p| p.keep_until > now);
                self.drop_expired_clients(now);
            }
            1 => {
                self.codes.retain(|_, c| c.keep_until > now);
                let codes = &self.codes;
                self.codes_by_subject.retain(|_, hashes| {
                    hashes.retain(|hash| codes.contains_key(hash));
                    !hashes.is_empty()
                });
            }
            2 => {
                self.families.retain(|_, f| f.expires_at > now);
                let families = &self.families;
                self.tokens
                    .retain(|_, (id, _)| families.contains_key(id.as_ref()));
            }
            3 => {
                let by_subject = &mut self.sessions_by_subject;
                self.sessions.retain(|id, s| {
                    let live = s.expires_at > now;
                    if !live {
                        unindex_session(by_subject, &s.subject, id);
                    }
                    live
                });
                self.client_ids.retain(|id| Arc::strong_count(id) > 1);
            }
            4 => self.consent.retain(|_, c| c.keep_until > now),
            _ => {
                self.vault.retain(|_, v| v.keep_until > now);
                self.last_sweep = now;
            }
        }
        before - self.records() - self.families.len() - self.clients.len()
    }

    fn sweep(&mut self, now: u64) -> u64 {
        (0..Self::SWEEP_STEPS)
            .map(|step| self.sweep_step(step, now) as u64)
            .sum()
    }
}

/// A store in this process's memory. Everything is lost when the process stops.
#[derive(Debug)]
pub struct MemoryStore {
    state: Mutex<State>,
    clock: Clock,
    limits: MemoryLimits,
    /// Bumped by every revocation (see [`Maintenance::revocations`]).
    revocations: std::sync::atomic::AtomicU64,
}

impl MemoryStore {
    /// An empty store whose expiries follow `clock`, with the default limits.
    pub fn new(clock: Clock) -> Self {
        Self::with_limits(clock, MemoryLimits::default())
    }

    /// An empty store with explicit limits.
    pub fn with_limits(clock: Clock, limits: MemoryLimits) -> Self {
        Self {
            state: Mutex::new(State::default()),
            clock,
            limits,
            revocations: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// How many records the store holds now: the expiring ones [`MemoryLimits::max_records`]
    /// bounds, and refresh families.
    pub fn record_count(&self) -> usize {
        self.state
            .lock()
            .map(|state| state.records() + state.families.len())
            .unwrap_or(0)
    }

    /// How many clients the store holds now (expired ones until a sweep or a registration
    /// at the limit drops them).
    pub fn client_count(&self) -> usize {
        self.state
            .lock()
            .map(|state| state.clients.len())
            .unwrap_or(0)
    }

    fn with<T>(&self, f: impl FnOnce(&mut State, u64) -> T) -> StoreResult<T> {
        let now = self.clock.now();
        let mut state = self
            .state
            .lock()
            .map_err(|_| StoreError::Unavailable(String::from("the memory store is poisoned")))?;
        Ok(f(&mut state, now))
    }

    /// A write that may add a record: sweeps when due, and refuses when full.
    fn write<T>(&self, f: impl FnOnce(&mut State, u64) -> T) -> StoreResult<T> {
        let max = self.limits.max_records;
        self.with(|state, now| {
            if now >= state.last_sweep + SWEEP_INTERVAL {
                state.sweep(now);
            }
            if state.records() >= max {
                state.sweep(now);
                if state.records() >= max {
                    return Err(StoreError::Unavailable(format!(
                        "the memory store holds its maximum of {max} records"
                    )));
                }
            }
            Ok(f(state, now))
        })?
    }

    /// A write that only changes or removes records.
    fn update<T>(&self, f: impl FnOnce(&mut State, u64) -> T) -> StoreResult<T> {
        self.with(f)
    }
}

fn ready<'a, T: Send + 'a>(value: StoreResult<T>) -> BoxFuture<'a, StoreResult<T>> {
    Box::pin(std::future::ready(value))
}

impl ClientStore for MemoryStore {
    fn client<'a>(
        &'a self,
        client_id: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<ClientRecord>>> {
        ready(self.with(|state, now| {
            state
                .clients
                .get(client_id)
                .filter(|c| c.is_live(now))
                .cloned()
        }))
    }

    fn register_client(&self, client: ClientRecord, max: u64) -> BoxFuture<'_, StoreResult<()>> {
        ready(
            self.write(|state, now| {
                let registered = |c: &ClientRecord| u64::from(c.source == ClientSource::Registered);
                if client.source == ClientSource::Registered && state.registered_clients >= max {
                    state.drop_expired_clients(now);
                }
                let replaced = state.clients.get(&client.client_id).map(registered);
                if client.source == ClientSource::Registered
                    && replaced.is_none()
                    && state.registered_clients >= max
                {
                    return Err(StoreError::LimitReached(format!(
                        "{max} dynamically registered clients"
                    )));
                }
                state.registered_clients =
                    state.registered_clients - replaced.unwrap_or(0) + registered(&client);
                state.clients.insert(client.client_id.clone(), client);
                Ok(())
            })
            .and_then(|r| r),
        )
    }

    fn touch_client<'a>(
        &'a self,
        client: &'a ClientRecord,
        keep_until: u64,
    ) -> BoxFuture<'a, StoreResult<()>> {
        ready(self.update(|state, _| {
            if let Some(stored) = state.clients.get_mut(&client.client_id)
                && stored.keep_until == client.keep_until
            {
                stored.keep_until = Some(keep_until);
            }
        }))
    }

    fn delete_client<'a>(&'a self, client_id: &'a str) -> BoxFuture<'a, StoreResult<bool>> {
        let removed = self.update(|state, _| {
            let removed = state.clients.remove(client_id);
            if removed
                .as_ref()
                .is_some_and(|c| c.source == ClientSource::Registered)
            {
                state.registered_clients -= 1;
            }
            removed.is_some()
        });
        self.revocations
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        ready(removed)
    }
}

impl GrantStore for MemoryStore {
    fn put_pending(
        &self,
        pending: PendingAuthorization,
        keep_until: u64,
    ) -> BoxFuture<'_, StoreResult<()>> {
        ready(self.write(|state, _| {
            state.pending.insert(
                pending.id.clone(),
                Expiring {
                    value: pending,
                    keep_until,
                },
            );
        }))
    }

    fn pending<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<PendingAuthorization>>> {
        ready(self.with(|state, now| {
            state
                .pending
                .get(id)
                .filter(|p| p.keep_until > now)
                .map(|p| p.value.clone())
        }))
    }

    fn take_pending<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<PendingAuthorization>>> {
        ready(self.update(|state, now| {
            state
                .pending
                .remove(id)
                .filter(|p| p.keep_until > now)
                .map(|p| p.value)
        }))
    }

    fn put_code(
        &self,
        code_hash: String,
        grant: CodeGrant,
        keep_until: u64,
    ) -> BoxFuture<'_, StoreResult<()>> {
        ready(self.write(|state, _| {
            let hashes = state
                .codes_by_subject
                .entry(grant.grant.subject.clone())
                .or_default();
            hashes.push_back(code_hash.clone());
            while hashes.len() > MAX_CODES_PER_SUBJECT {
                if let Some(oldest) = hashes.pop_front() {
                    state.codes.remove(&oldest);
                }
            }
            state.codes.insert(
                code_hash,
                Expiring {
                    value: CodeEntry {
                        grant,
                        redeemed_by: None,
                    },
                    keep_until,
                },
            );
        }))
    }

    fn redeem_code<'a>(
        &'a self,
        code_hash: &'a str,
        family_id: &'a str,
    ) -> BoxFuture<'a, StoreResult<CodeRedemption>> {
        ready(self.update(|state, now| {
            let Some(entry) = state
                .codes
                .get_mut(code_hash)
                .filter(|c| c.keep_until > now)
            else {
                return CodeRedemption::Unknown;
            };
            match &entry.value.redeemed_by {
                Some(first) => CodeRedemption::Reused {
                    family_id: first.clone(),
                },
                None => {
                    entry.value.redeemed_by = Some(family_id.to_owned());
                    CodeRedemption::Fresh(Box::new(entry.value.grant.clone()))
                }
            }
        }))
    }
}

impl Maintenance for MemoryStore {
    fn revocations(&self) -> Option<BoxFuture<'_, StoreResult<u64>>> {
        Some(ready(Ok(self
            .revocations
            .load(std::sync::atomic::Ordering::SeqCst))))
    }

    fn sweep_expired(&self) -> BoxFuture<'_, StoreResult<u64>> {
        let mut removed = 0;
        for step in 0..State::SWEEP_STEPS {
            match self.with(|state, now| state.sweep_step(step, now)) {
                Ok(count) => removed += count as u64,
                Err(error) => return ready(Err(error)),
            }
        }
        ready(Ok(removed))
    }

    fn backend(&self) -> &'static str {
        "memory"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Grant;

    fn grant() -> Grant {
        Grant {
            client_id: String::from("c"),
            subject: String::from("s"),
            email: None,
            name: None,
            scope: Vec::new(),
            resource: String::from("r"),
            issuer: String::from("i"),
            auth_time: 0,
            consent: None,
            authorized_apps: None,
            skipped_apps: None,
            claims: Default::default(),
        }
    }

    #[tokio::test]
    async fn codes_redeem_once_and_families_rotate_once() {
        let clock = Clock::manual(1000);
        let store = MemoryStore::new(clock.clone());
        let code = CodeGrant {
            grant: grant(),
            redirect_uri: String::from("r"),
            code_challenge: String::from("c"),
            expires_at: 1060,
            upstream_tokens: None,
        };
        store.put_code("h".into(), code, 2000).await.expect("put");
        assert!(matches!(
            store.redeem_code("h", "f1").await,
            Ok(CodeRedemption::Fresh(_))
        ));
        assert_eq!(
            store.redeem_code("h", "f2").await,
            Ok(CodeRedemption::Reused {
                family_id: "f1".into()
            })
        );
        let family = RefreshFamily {
            id: String::from("f1"),
            grant: grant(),
            generation: 0,
            expires_at: 5000,
            rotated_at: 1000,
            replay: None,
            revoked: false,
        };
        store
            .create_family(family, "t0".into())
            .await
            .expect("create");
        let rotation = |hash: &str| Rotation {
            family_id: String::from("f1"),
            from_generation: 0,
            new_token_hash: hash.to_owned(),
            expires_at: 6000,
            rotated_at: 1001,
            replay: vec![1],
        };
        assert_eq!(store.rotate_family(rotation("t1")).await, Ok(true));
        assert_eq!(
            store.rotate_family(rotation("t1b")).await,
            Ok(false),
            "compare-and-swap"
        );
        let old = store
            .family_by_token("t0")
            .await
            .expect("lookup")
            .expect("found");
        assert_eq!((old.generation, old.family.generation), (0, 1));
        assert!(
            store
                .family_by_token("t1b")
                .await
                .expect("lookup")
                .is_none()
        );
    }

    #[tokio::test]
    async fn a_full_store_refuses_new_records_after_sweeping() {
        let clock = Clock::manual(1000);
        let store = MemoryStore::with_limits(clock.clone(), MemoryLimits { max_records: 2 });
        let keep = |seconds: u64| 1000 + seconds;
        store
            .put_vault("a".into(), vec![1], keep(10))
            .await
            .expect("first");
        store
            .put_vault("b".into(), vec![2], keep(100))
            .await
            .expect("second");
        assert!(matches!(
            store.put_vault("c".into(), vec![3], keep(100)).await,
            Err(StoreError::Unavailable(_))
        ));
        clock.advance(20);
        store
            .put_vault("c".into(), vec![3], keep(100))
            .await
            .expect("room once the expired record is swept");
        assert_eq!(store.vault("b").await, Ok(Some(vec![2])));
    }

    #[tokio::test]
    async fn expired_records_are_swept() {
        let clock = Clock::manual(1000);
        let store = MemoryStore::new(clock.clone());
        let family = RefreshFamily {
            id: String::from("f"),
            grant: grant(),
            generation: 0,
            expires_at: 1100,
            rotated_at: 1000,
            replay: None,
            revoked: false,
        };
        store
            .create_family(family, "t".into())
            .await
            .expect("create");
        clock.advance(200);
        assert!(
            store.family("f").await.expect("read").is_none(),
            "expired reads as absent"
        );
        assert_eq!(
            store.sweep_expired().await,
            Ok(2),
            "the family and its token"
        );
        let state = store.state.lock().expect("state");
        assert!(state.families.is_empty() && state.tokens.is_empty());
    }
}
