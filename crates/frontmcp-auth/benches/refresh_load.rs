//! Refresh-grant throughput and latency over loopback, per token-storage backend.
//!
//! A local-mode server (HS256, stateful) runs in this process on its own single-threaded Tokio
//! runtime, on a loopback port, with its store opened from configuration exactly as `serve`
//! does. A load driver on a second single-threaded runtime keeps `CONCURRENCY` HTTP/1.1
//! keep-alive connections busy: each worker logs in once (its own refresh family), then
//! refreshes its chain back to back until `SECONDS` pass. Every request is timed; throughput
//! and p50 / p99 / max latency are printed per backend.
//!
//! Run with `cargo bench -p frontmcp-auth --bench refresh_load` (needs `redis-server`, which
//! `./scripts/test` installs). `FRONTMCP_BENCH_SECONDS` (default 5) and
//! `FRONTMCP_BENCH_CONCURRENCY` (default 32) change the run.

mod common;

use common::Outcome;
use std::time::{Duration, Instant};

use frontmcp_auth::ServerDefinition;
use frontmcp_auth::config::{Environment, FileChoice};
use frontmcp_auth_testkit::RedisServer;
use frontmcp_auth_testkit::flow::{Flow, SECRET};
use serde_json::{Value, json};

/// At most this many requests per backend, whatever the duration.
const MAX_REQUESTS: usize = 400_000;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Starts the server for `storage` on its own runtime; returns its base URL and a stopper.
fn start_server(storage: Value) -> (String, tokio::sync::oneshot::Sender<()>) {
    let definition = ServerDefinition::new("RefreshBench").with_base(json!({
        "auth": {
            "mode": "local",
            "session_mode": "stateful",
            "local": { "jwt_secret": SECRET },
            "token_storage": storage,
        }
    }));
    common::serve_on_own_thread(move || {
        let loaded = definition
            .loader()
            .env(Environment::from_pairs([(
                "FRONTMCP_PUBLIC_URL",
                "http://127.0.0.1",
            )]))
            .file(FileChoice::None)
            .load()
            .expect("config");
        frontmcp_auth::router(&loaded, &definition).expect("router")
    })
}

async fn drive(base: String, concurrency: usize, seconds: u64) -> Outcome {
    let flow = Flow::default();
    let client_id = flow.register(&base).await;
    let mut chains = Vec::new();
    for worker in 0..concurrency {
        let code = flow
            .authorize(&base, &client_id, &format!("user{worker}@example.com"))
            .await;
        let tokens = flow.exchange(&base, &client_id, &code).await;
        chains.push(
            tokens["refresh_token"]
                .as_str()
                .expect("refresh")
                .to_owned(),
        );
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let per_worker = MAX_REQUESTS / concurrency;
    let tasks: Vec<_> = chains
        .into_iter()
        .map(|mut refresh| {
            let (flow, base, client_id) = (flow.clone(), base.clone(), client_id.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0;
                while Instant::now() < deadline && latencies.len() + errors < per_worker {
                    let sent = Instant::now();
                    let reply = flow.refresh(&base, &client_id, &refresh).await;
                    let took = sent.elapsed().as_micros() as u64;
                    if reply.status == 200 {
                        latencies.push(took);
                        refresh = reply.json()["refresh_token"]
                            .as_str()
                            .expect("refresh")
                            .to_owned();
                    } else {
                        errors += 1;
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    Outcome::collect(tasks, started).await
}

fn main() {
    // `cargo bench` passes `--bench`; a plain `cargo test --benches` run passes nothing and
    // should not spend seconds under load.
    if !std::env::args().any(|a| a == "--bench") {
        println!("refresh_load: run with `cargo bench -p frontmcp-auth --bench refresh_load`");
        return;
    }
    let seconds = setting("FRONTMCP_BENCH_SECONDS", 5);
    let concurrency = setting("FRONTMCP_BENCH_CONCURRENCY", 32) as usize;
    let dir = tempfile::tempdir().expect("temp dir");
    let redis = RedisServer::start_with(&["--appendfsync", "everysec"]);
    let backends = [
        ("memory", json!("memory")),
        (
            "sqlite (WAL)",
            json!({"sqlite": {"path": dir.path().join("bench.db").display().to_string()}}),
        ),
        (
            "redis (AOF everysec)",
            json!({"redis": {"host": "127.0.0.1", "port": redis.port, "key_prefix": "bench:"}}),
        ),
    ];
    println!(
        "refresh grant over loopback: {concurrency} connections, {seconds} s per backend, HS256, stateful"
    );
    println!(
        "{:<22} {:>10} {:>10} {:>9} {:>9} {:>9} {:>7}",
        "backend", "requests", "req/s", "p50 ms", "p99 ms", "max ms", "errors"
    );
    let driver = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("driver runtime");
    for (name, storage) in backends {
        let (base, stop) = start_server(storage);
        let outcome = driver.block_on(drive(base, concurrency, seconds));
        let _ = stop.send(());
        let count = outcome.latencies_us.len();
        println!(
            "{:<22} {:>10} {:>10.0} {:>9.2} {:>9.2} {:>9.2} {:>7}",
            name,
            count,
            outcome.rate(),
            outcome.percentile(50.0),
            outcome.percentile(99.0),
            outcome.percentile(100.0),
            outcome.errors
        );
    }
}
