//! Memory at scale: live refresh families and sessions per backend, what each costs at rest,
//! and the refresh grant's latency with few and with many of them.
//!
//! For each backend (memory, a SQLite file, a Redis server of the benchmark's own) and each
//! population (1 000, then `FRONTMCP_BENCH_FAMILIES`, default 1 000 000): the store is filled
//! through its own API with that many families (one refresh-token hash each) and sessions, as
//! that many logins leave them, by distinct users; bytes per family are the growth of the
//! process's resident memory (memory), of the file (SQLite) or of Redis's `used_memory`
//! (Redis), divided by the count; a sweep with nothing expired is timed (the scan the
//! background sweep makes). Then a local-mode server (ES256, stateful) serves that store
//! on its own core and 32 connections refresh back to back for `FRONTMCP_BENCH_SECONDS`
//! (default 5): throughput, p50 and p99.
//!
//! Run with `cargo bench -p frontmcp-auth --bench store_scale` (Redis needs `redis-server`).
//! `FRONTMCP_BENCH_BACKENDS` (comma-separated: `memory`, `sqlite`, `redis`) picks backends.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use frontmcp_auth::Clock;
use frontmcp_auth::ServerDefinition;
use frontmcp_auth::config::{Environment, FileChoice};
use frontmcp_auth::http::RouterOptions;
use frontmcp_auth::store::{
    Grant, MemoryLimits, MemoryStore, RedisOptions, RedisStore, RefreshFamily, SessionRecord,
    SqliteOptions, SqliteStore, Store,
};
use frontmcp_auth::token::{KeyKind, SigningKey};
use frontmcp_auth_testkit::RedisServer;
use frontmcp_auth_testkit::flow::Flow;
use serde_json::{Value, json};

/// Writers filling a store at once.
const FILLERS: usize = 32;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn wanted(backend: &str) -> bool {
    match std::env::var("FRONTMCP_BENCH_BACKENDS") {
        Ok(list) => list.split(',').any(|b| b.trim() == backend),
        Err(_) => true,
    }
}

/// The process's resident memory, in bytes.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Redis's `used_memory`, in bytes.
fn redis_used(port: u16) -> u64 {
    let out = std::process::Command::new("redis-cli")
        .args(["-p", &port.to_string(), "info", "memory"])
        .output()
        .expect("redis-cli");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// A login's records as the flow leaves them: the family (a grant like the flow's) and the
/// session, for user `i`.
fn login_records(i: usize, now: u64) -> (RefreshFamily, String, SessionRecord) {
    let id = format!("fam-{i:08}-bench-family-id-0000");
    let subject = format!("user-{i}@example.com");
    let grant = Grant {
        client_id: String::from("mcp_bench_client_00000000000"),
        subject: subject.clone(),
        email: Some(subject.clone()),
        name: Some(String::from("Bench User")),
        scope: vec![String::from("profile"), String::from("email")],
        resource: String::from("http://127.0.0.1/mcp"),
        issuer: String::from("http://127.0.0.1"),
        auth_time: now,
        consent: None,
        authorized_apps: None,
        skipped_apps: None,
        claims: Default::default(),
    };
    let family = RefreshFamily {
        id: id.clone(),
        grant,
        generation: 0,
        expires_at: now + 30 * 86_400,
        rotated_at: now,
        replay: None,
        revoked: false,
    };
    let token_hash = frontmcp_auth::secrets::digest(&format!("refresh-token-{i}"));
    let session = SessionRecord {
        id,
        subject,
        client_id: String::from("mcp_bench_client_00000000000"),
        created_at: now,
        expires_at: now + 30 * 86_400,
    };
    (family, token_hash, session)
}

async fn fill(store: &Arc<dyn Store>, from: usize, to: usize) {
    let now = Clock::system().now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(from));
    let writers: Vec<_> = (0..FILLERS)
        .map(|_| {
            let (store, next) = (store.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= to {
                        return;
                    }
                    let (family, hash, session) = login_records(i, now);
                    store.create_family(family, hash).await.expect("family");
                    store.put_session(session).await.expect("session");
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.expect("writer");
    }
}

fn router(store: Arc<dyn Store>) -> axum::Router {
    let (_, jwk) = SigningKey::generate(KeyKind::Es256).expect("key");
    let definition = ServerDefinition::new("ScaleBench").with_base(json!({
        "auth": {
            "mode": "local",
            "session_mode": "stateful",
            "local": { "sign_key": Value::Object(jwk) },
        }
    }));
    let loaded = definition
        .loader()
        .env(Environment::from_pairs([(
            "FRONTMCP_PUBLIC_URL",
            "http://127.0.0.1",
        )]))
        .file(FileChoice::None)
        .load()
        .expect("config");
    let options = RouterOptions {
        store: Some(store),
        ..RouterOptions::default()
    };
    frontmcp_auth::http::build_router(&loaded, &definition, options).expect("router")
}

async fn refresh_load(base: String, seconds: u64) -> common::Outcome {
    let flow = Flow::default();
    let mut chains = Vec::new();
    for _ in 0..32 {
        let client_id = flow.register(&base).await;
        let code = flow.authorize(&base, &client_id, "ada@example.com").await;
        let tokens = flow.exchange(&base, &client_id, &code).await;
        let refresh = tokens["refresh_token"]
            .as_str()
            .expect("refresh")
            .to_owned();
        chains.push((client_id, refresh));
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let workers = chains.into_iter().map(|(client_id, mut refresh)| {
        let (flow, base) = (flow.clone(), base.clone());
        async move {
            let (mut latencies, mut errors) = (Vec::new(), 0);
            while Instant::now() < deadline {
                let sent = Instant::now();
                let reply = flow.refresh(&base, &client_id, &refresh).await;
                match reply.json()["refresh_token"].as_str() {
                    Some(next) if reply.status == 200 => {
                        refresh = next.to_owned();
                        latencies.push(sent.elapsed().as_micros() as u64);
                    }
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        }
    });
    common::Outcome::collect(workers, started).await
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("store_scale: run with `cargo bench -p frontmcp-auth --bench store_scale`");
        return;
    }
    let seconds = setting("FRONTMCP_BENCH_SECONDS", 5);
    let many = setting("FRONTMCP_BENCH_FAMILIES", 1_000_000) as usize;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let driver = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("driver runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let redis = wanted("redis").then(RedisServer::start);
    // The Redis connection is made on this runtime.
    let _entered = runtime.enter();
    println!("refresh families and sessions at rest; refresh grant at 32 connections, {seconds} s");
    println!(
        "{:<8} {:>9} {:>9} {:>11} {:>9} {:>9} {:>8} {:>8}",
        "backend", "families", "fill s", "bytes/each", "sweep ms", "refresh/s", "p50 ms", "p99 ms"
    );
    for backend in ["memory", "sqlite", "redis"] {
        if !wanted(backend) {
            continue;
        }
        let store: Arc<dyn Store> = match backend {
            // Room for the population's tokens and sessions beyond the default bound.
            "memory" => Arc::new(MemoryStore::with_limits(
                Clock::system(),
                MemoryLimits {
                    max_records: 4 * many + 100_000,
                },
            )),
            "sqlite" => Arc::new(
                SqliteStore::open(
                    &SqliteOptions {
                        path: dir.path().join("scale.db"),
                        wal_mode: true,
                        codec: frontmcp_auth::store::Codec::plain(),
                    },
                    Clock::system(),
                )
                .expect("sqlite"),
            ),
            _ => {
                let port = redis.as_ref().expect("redis").port;
                let options = RedisOptions {
                    host: String::from("127.0.0.1"),
                    port,
                    password: None,
                    db: 0,
                    tls: false,
                    key_prefix: String::from("scale:"),
                    cluster: Vec::new(),
                };
                Arc::new(RedisStore::connect(&options, Clock::system()).expect("redis"))
            }
        };
        let size = |store_dir: &std::path::Path| -> u64 {
            match backend {
                "memory" => rss(),
                "sqlite" => ["scale.db", "scale.db-wal"]
                    .iter()
                    .map(|f| std::fs::metadata(store_dir.join(f)).map_or(0, |m| m.len()))
                    .sum(),
                _ => redis_used(redis.as_ref().expect("redis").port),
            }
        };
        let mut filled = 0;
        for population in [1_000usize, many] {
            let before = size(dir.path());
            let started = Instant::now();
            runtime.block_on(fill(&store, filled, population));
            let fill_seconds = started.elapsed().as_secs_f64();
            let grown = size(dir.path()).saturating_sub(before);
            let per_family = grown as f64 / (population - filled) as f64;
            filled = population;
            // A sweep with nothing expired: the scan a background sweep makes.
            let swept = Instant::now();
            runtime.block_on(store.sweep_expired()).expect("sweep");
            let sweep_ms = swept.elapsed().as_secs_f64() * 1000.0;
            let serving = store.clone();
            let (base, stop) = common::serve_on_own_thread(move || router(serving));
            let outcome = driver.block_on(refresh_load(base, seconds));
            let _ = stop.send(());
            println!(
                "{:<8} {:>9} {:>9.1} {:>11.0} {:>9.1} {:>9.0} {:>8.2} {:>8.2}",
                backend,
                population,
                fill_seconds,
                per_family,
                sweep_ms,
                outcome.rate(),
                outcome.percentile(50.0),
                outcome.percentile(99.0)
            );
        }
    }
}
