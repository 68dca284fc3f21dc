//! Several processes sharing one credential, as desktop clients run many sessions on one refresh
//! token: the simulation that chose the default `refresh.reuse_grace_seconds`.
//!
//! `PROCESSES` processes share a credential store (the file a desktop client keeps). When the
//! access token dies, each process notices it at its own moment (within `SPREAD` seconds) and
//! reads the store:
//!
//! - If another process already refreshed, it takes the fresh pair and goes on.
//! - Otherwise it keeps the refresh token it read and sends the refresh `lag` seconds later (its
//!   own slowness: network, scheduling, a busy event loop). Meanwhile another process may have
//!   rotated that token, so it presents the previous one. It then writes back what it got.
//!
//! A refused refresh logs the user out. Time is the server's manual clock, so every run is exact
//! and repeatable. Events at the same second read before they send, the less favourable order.
//! Each backend runs each lag profile against each grace window for `ROUNDS` expiries of the
//! access token.

mod common;

use std::sync::Arc;

use common::local::{Local, START, definition};
use frontmcp_auth::Clock;
use frontmcp_auth::store::{MemoryStore, SqliteOptions, SqliteStore, Store};
use frontmcp_auth_testkit::RedisServer;
use serde_json::json;

const PROCESSES: u64 = 8;
const ROUNDS: u64 = 6;
/// Seconds within which every process notices the access token died.
const SPREAD: u64 = 4;
/// The access token's lifetime in this simulation.
const ACCESS_TTL: u64 = 600;

/// The credential every process shares.
struct Shared {
    refresh_token: String,
    /// When the access token it holds expires.
    access_expires_at: u64,
}

/// A deterministic pseudo-random sequence (a linear congruential generator).
struct Dice(u64);

impl Dice {
    fn roll(&mut self, up_to: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % (up_to + 1)
    }
}

/// What one simulation saw.
#[derive(Debug)]
struct Outcome {
    refreshes: u64,
    /// Refreshes that presented a token another process had already rotated.
    stale: u64,
    /// The longest wait, in seconds, between a rotation and the stale presentation of the token
    /// it replaced.
    longest_stale: u64,
    /// The round in which the user was logged out, if they were.
    logged_out: Option<u64>,
}

async fn simulate(local: &Local, clock: &Clock, max_lag: u64, seed: u64) -> Outcome {
    let (client_id, tokens) = local.tokens().await;
    let mut shared = Shared {
        refresh_token: tokens["refresh_token"]
            .as_str()
            .expect("refresh")
            .to_owned(),
        access_expires_at: clock.now() + ACCESS_TTL,
    };
    let mut dice = Dice(seed);
    let mut outcome = Outcome {
        refreshes: 0,
        stale: 0,
        longest_stale: 0,
        logged_out: None,
    };
    for round in 0..ROUNDS {
        let start = shared.access_expires_at + 1;
        // (second, 0 = read / 1 = send, process)
        let mut events: Vec<(u64, u8, u64)> = (0..PROCESSES)
            .map(|p| (start + dice.roll(SPREAD), 0, p))
            .collect();
        let mut held: Vec<Option<String>> = vec![None; PROCESSES as usize];
        let mut rotated_at: Option<(String, u64)> = None;
        events.sort_unstable();
        let mut next = 0;
        while next < events.len() {
            let (at, kind, process) = events[next];
            next += 1;
            if clock.now() < at {
                clock.advance(at - clock.now());
            }
            let slot = &mut held[process as usize];
            if kind == 0 {
                if shared.access_expires_at > at {
                    continue;
                }
                *slot = Some(shared.refresh_token.clone());
                let send = (at + dice.roll(max_lag), 1, process);
                let place = events[next..]
                    .iter()
                    .position(|e| *e > send)
                    .map_or(events.len(), |i| next + i);
                events.insert(place, send);
                continue;
            }
            let Some(presented) = slot.take() else {
                continue;
            };
            outcome.refreshes += 1;
            if presented != shared.refresh_token
                && let Some((replaced, when)) = &rotated_at
                && *replaced == presented
            {
                outcome.stale += 1;
                outcome.longest_stale = outcome.longest_stale.max(at - when);
            }
            let reply = local.refresh(&client_id, &presented).await;
            if reply.status != 200 {
                outcome.logged_out = Some(round);
                return outcome;
            }
            let pair = reply.json();
            let new = pair["refresh_token"].as_str().expect("refresh").to_owned();
            if new != shared.refresh_token {
                rotated_at = Some((presented, at));
                shared.refresh_token = new;
            }
            shared.access_expires_at = at + ACCESS_TTL;
        }
    }
    outcome
}

/// Runs every lag profile against every grace window on stores from `store`; returns the rows
/// `(lag, grace, outcome)`.
async fn run_backend(
    name: &str,
    store: impl Fn(&Clock) -> Arc<dyn Store>,
) -> Vec<(u64, u64, Outcome)> {
    let mut rows = Vec::new();
    for (lag, seed) in [(0, 11), (1, 12), (3, 13)] {
        for grace in [0, 2, 5] {
            let clock = Clock::manual(START);
            let auth =
                json!({"refresh": {"reuse_grace_seconds": grace, "access_token_ttl": ACCESS_TTL}});
            let local =
                Local::start_with_store(&definition(auth), &[], clock.clone(), store(&clock)).await;
            let outcome = simulate(&local, &clock, lag, seed).await;
            eprintln!(
                "{name:7} lag ≤ {lag} s  grace {grace} s: {} refreshes, {} stale (longest {} s), {}",
                outcome.refreshes,
                outcome.stale,
                outcome.longest_stale,
                outcome
                    .logged_out
                    .map_or(String::from("never logged out"), |r| format!(
                        "logged out in round {r}"
                    ))
            );
            rows.push((lag, grace, outcome));
        }
    }
    rows
}

/// What every backend must show: the default window keeps every profile signed in; no window
/// at all logs a slow process out (so the simulation can fail); a window shorter than the
/// slowest profile's lag logs it out.
fn assert_the_default_holds(rows: &[(u64, u64, Outcome)]) {
    let default = frontmcp_auth::rules::AuthConfig::default()
        .refresh
        .reuse_grace_seconds;
    assert_eq!(default, 5, "the default this simulation chose");
    for (lag, grace, outcome) in rows {
        if outcome.logged_out.is_none() {
            assert!(
                outcome.refreshes >= ROUNDS,
                "a refresh every round: {outcome:?}"
            );
        }
        if *grace >= default {
            assert_eq!(
                outcome.logged_out, None,
                "lag ≤ {lag} s with the default grace: {outcome:?}"
            );
            assert!(outcome.longest_stale <= *grace, "{outcome:?}");
        }
        if *lag > *grace && outcome.longest_stale > *grace {
            assert!(
                outcome.logged_out.is_some(),
                "a presentation {} s stale outside a {grace} s window must log out: {outcome:?}",
                outcome.longest_stale
            );
        }
    }
    let slow_without_grace = rows
        .iter()
        .find(|(lag, grace, _)| *lag == 3 && *grace == 0)
        .map(|(_, _, o)| o);
    assert!(
        slow_without_grace.is_some_and(|o| o.logged_out.is_some()),
        "without a grace window a slow process logs the user out: {slow_without_grace:?}"
    );
}

#[tokio::test]
async fn memory_the_default_grace_keeps_every_process_signed_in() {
    let rows = run_backend("memory", |clock| Arc::new(MemoryStore::new(clock.clone()))).await;
    assert_the_default_holds(&rows);
}

#[tokio::test]
async fn sqlite_the_default_grace_keeps_every_process_signed_in() {
    let dir = tempfile::tempdir().expect("dir");
    let counter = std::sync::atomic::AtomicU64::new(0);
    let rows = run_backend("sqlite", |clock| {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let options = SqliteOptions {
            path: dir.path().join(format!("tokens-{n}.db")),
            wal_mode: true,
            codec: frontmcp_auth::store::Codec::plain(),
        };
        Arc::new(SqliteStore::open(&options, clock.clone()).expect("sqlite"))
    })
    .await;
    assert_the_default_holds(&rows);
}

#[tokio::test]
async fn redis_the_default_grace_keeps_every_process_signed_in() {
    let redis = RedisServer::start();
    let counter = std::sync::atomic::AtomicU64::new(0);
    let rows = run_backend("redis", |clock| {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        common::redis_store(&redis, &format!("shared:{n}:"), clock.clone())
    })
    .await;
    assert_the_default_holds(&rows);
}
