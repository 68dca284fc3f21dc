//! The whole remote-mode sign-in, per second, against a real OpenID provider on loopback (node
//! `oidc-provider`, `tests/node/remote-idp.mjs`): our authorize → the provider's login and
//! consent pages → our upstream callback (state, browser, code exchange at the provider,
//! `id_token` verified against its JWKS, tokens sealed) → our code → our token endpoint (PKCE,
//! refresh family, the upstream tokens into the vault). Each flow is a fresh browser, as a new
//! user's would be; the time spent at our server and at the provider is reported apart.
//!
//! Run with `cargo bench -p frontmcp-auth --bench remote_login`. `FRONTMCP_BENCH_SECONDS`
//! (default 10) sets the time per run.

#[path = "../tests/common/mod.rs"]
mod tests_common;

use std::time::{Duration, Instant};

use serde_json::json;
use tests_common::local::{Local, VERIFIER};
use tests_common::remote::{self, Idp, SignIn};
use url::Url;

#[derive(Default)]
struct Times {
    total_us: Vec<u64>,
    ours_us: Vec<u64>,
    provider_us: Vec<u64>,
    errors: u64,
}

fn percentile(values: &mut [u64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_unstable();
    let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1] as f64 / 1000.0
}

/// One sign-in; `(total, at our server, at the provider)`.
async fn flow(local: &Local, client_id: &str) -> Option<(Duration, Duration, Duration)> {
    let start = Instant::now();
    let sign_in = SignIn::begin_for(local, client_id).await;
    let authorized = start.elapsed();
    let at = Instant::now();
    let mut callback: Url = sign_in.at_provider("ada").await;
    let provider = at.elapsed();
    let back = Instant::now();
    let port = Url::parse(&local.base()).ok()?.port();
    callback.set_port(port).ok()?;
    let done = sign_in.finish(&callback).await;
    let code = done.location_param("code")?;
    let reply = local.exchange(client_id, &code, VERIFIER).await;
    if reply.status != 200 {
        return None;
    }
    let ours = authorized + back.elapsed();
    Some((start.elapsed(), ours, provider))
}

async fn run(local: &Local, client_id: &str, workers: usize, seconds: u64) -> (Times, Duration) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let tasks = (0..workers).map(|_| async {
        let mut times = Times::default();
        while Instant::now() < deadline {
            match flow(local, client_id).await {
                Some((total, ours, provider)) => {
                    times.total_us.push(total.as_micros() as u64);
                    times.ours_us.push(ours.as_micros() as u64);
                    times.provider_us.push(provider.as_micros() as u64);
                }
                None => times.errors += 1,
            }
        }
        times
    });
    let mut all = Times::default();
    for times in futures::future::join_all(tasks).await {
        all.total_us.extend(times.total_us);
        all.ours_us.extend(times.ours_us);
        all.provider_us.extend(times.provider_us);
        all.errors += times.errors;
    }
    (all, started.elapsed())
}

fn main() {
    // `cargo bench` passes `--bench`; a plain `cargo test --benches` run should not load.
    if !std::env::args().any(|a| a == "--bench") {
        println!("remote_login: run with `cargo bench -p frontmcp-auth --bench remote_login`");
        return;
    }
    let seconds = std::env::var("FRONTMCP_BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let idp = Idp::start(3600);
        let local = remote::start(&idp.issuer, json!({})).await;
        let client_id = local.public_client().await;
        // One sign-in first: discovery and the provider's JWKS are then cached, as in a
        // server that has been up for a while.
        flow(&local, &client_id).await.expect("a first sign-in");
        println!("remote sign-in against oidc-provider on loopback, {seconds} s per run");
        println!(
            "{:>7} {:>7} {:>8} {:>9} {:>9} {:>12} {:>14} {:>7}",
            "browsers",
            "flows",
            "flows/s",
            "p50 ms",
            "p99 ms",
            "ours p50 ms",
            "provider p50",
            "errors"
        );
        for workers in [1usize, 4] {
            let (mut times, elapsed) = run(&local, &client_id, workers, seconds).await;
            let flows = times.total_us.len();
            println!(
                "{:>7} {:>7} {:>8.1} {:>9.2} {:>9.2} {:>12.2} {:>14.2} {:>7}",
                workers,
                flows,
                flows as f64 / elapsed.as_secs_f64(),
                percentile(&mut times.total_us, 50.0),
                percentile(&mut times.total_us, 99.0),
                percentile(&mut times.ours_us, 50.0),
                percentile(&mut times.provider_us, 50.0),
                times.errors
            );
        }
        let stats = idp.stats().await;
        println!("provider: {stats}");
    });
}
