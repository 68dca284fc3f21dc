//! The HTTP fuzzer's fixed-seed batch (issue 19): mutated versions of every request the server
//! knows, over raw TCP on loopback, against a local-mode server with an app, the admin endpoint
//! and metrics. No 5xx but the documented 503, no connection closed without an answer, no
//! panic, no stack trace or internal path in a body. The batch is bounded in count and time;
//! `benches/http_fuzz.rs` runs the same driver for a million requests.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use common::local::Local;
use frontmcp_auth_testkit::fuzz::{self, Plan};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixed_seed_batch_of_mutated_requests_never_gets_a_5xx_a_drop_or_a_leak() {
    let panics = Arc::new(AtomicU64::new(0));
    let counted = panics.clone();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        counted.fetch_add(1, Ordering::SeqCst);
        previous(info);
    }));

    let (_local, target, addr) = common::fuzzed::start(json!({})).await;
    let templates = fuzz::seeds::templates(&target).await;
    assert!(templates.len() >= 25, "{} templates", templates.len());
    // FRONTMCP_FUZZ_SEED and FRONTMCP_FUZZ_REQUESTS repeat another batch (a failure prints
    // its seed).
    let number = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let plan = Plan {
        seed: number("FRONTMCP_FUZZ_SEED", 19),
        requests: number("FRONTMCP_FUZZ_REQUESTS", 2_500),
        workers: 8,
        limit: Duration::from_secs(120),
        wait: Duration::from_secs(10),
    };
    let report = fuzz::run(addr, &templates, &plan).await;
    println!("fuzz (seed {}): {}", plan.seed, report.summary());
    assert_eq!(
        report.failures,
        0,
        "seed {}: {}\n{}",
        plan.seed,
        report.summary(),
        report.examples.join("\n")
    );
    assert_eq!(panics.load(Ordering::SeqCst), 0, "a handler panicked");
    assert!(!report.stopped_early, "{}", report.summary());
    assert_eq!(report.sent, plan.requests);
    // The batch went past the front door: successes, refusals of several kinds.
    for status in [200, 400, 401] {
        assert!(
            report.statuses.get(&status).copied().unwrap_or(0) > 0,
            "no {status} in {}",
            report.summary()
        );
    }
}

/// Found by the fuzzer: an MCP request whose body stops short of its declared length (the
/// client left mid-upload) got a 500 from the MCP service; the guard now reads the body and
/// answers 400, and 413 past the limit.
#[tokio::test]
async fn an_mcp_body_cut_short_is_a_400_and_an_oversized_one_a_413() {
    use frontmcp_auth_testkit::fuzz::wire::{Outcome, exchange};
    let local = Local::start(json!({})).await;
    let (_, tokens) = local.tokens().await;
    let token = tokens["access_token"].as_str().expect("token");
    let addr = local
        .base()
        .trim_start_matches("http://")
        .parse()
        .expect("a loopback address");
    let request = |length: usize, body: &str| {
        format!(
            "POST /mcp HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {token}\r\ncontent-type: application/json\r\naccept: application/json, text/event-stream\r\ncontent-length: {length}\r\nconnection: close\r\n\r\n{body}"
        )
    };
    let cut = request(100, "{\"jsonrpc\":\"2.0\"");
    let status = |outcome: Outcome| match outcome {
        Outcome::Answered { status, .. } => status,
        other => panic!("no answer: {other:?}"),
    };
    let wait = Duration::from_secs(10);
    assert_eq!(
        status(exchange(addr, cut.as_bytes(), true, wait, 64 * 1024).await),
        400
    );
    let big = "x".repeat(2 * 1024 * 1024);
    let oversized = request(big.len(), &big);
    assert_eq!(
        status(exchange(addr, oversized.as_bytes(), false, wait, 64 * 1024).await),
        413
    );
}
