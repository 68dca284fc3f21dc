//! The HTTP fuzzer at length (issue 19): the driver of `tests/http_fuzz.rs` for a million
//! requests (or `FRONTMCP_FUZZ_REQUESTS`) from `FRONTMCP_FUZZ_SEED` (default 1), against the
//! same local-mode server with an app, the consent screen, the admin endpoint and metrics, the
//! MCP rate limit raised so that refusals do not hide what lies behind it. Prints the counts by
//! status and every failure (a 5xx other than 503, a connection closed without an answer, an
//! unanswered request, a leak in a body, a panic); exits non-zero on any.
//!
//! Run with `cargo bench -p frontmcp-auth --bench http_fuzz`.

use frontmcp_auth_testkit::env_number;

#[path = "../tests/common/mod.rs"]
mod tests_common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use frontmcp_auth_testkit::fuzz::{self, Plan};
use serde_json::json;

fn main() {
    let panics = Arc::new(AtomicU64::new(0));
    let counted = panics.clone();
    std::panic::set_hook(Box::new(move |info| {
        counted.fetch_add(1, Ordering::SeqCst);
        eprintln!("panic: {info}");
    }));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let report = runtime.block_on(async {
        let (_local, target, addr) = tests_common::fuzzed::start(
            json!({"rate_limits": {"mcp": {"limit": 1_000_000_000u64, "window": 60}}}),
        )
        .await;
        let templates = fuzz::seeds::templates(&target).await;
        let plan = Plan {
            seed: env_number("FRONTMCP_FUZZ_SEED", 1),
            requests: env_number("FRONTMCP_FUZZ_REQUESTS", 1_000_000),
            workers: 16,
            limit: Duration::from_secs(env_number("FRONTMCP_FUZZ_SECONDS", 3_600)),
            wait: Duration::from_secs(30),
        };
        println!(
            "fuzz: seed {}, {} requests from {} templates",
            plan.seed,
            plan.requests,
            templates.len()
        );
        fuzz::run(addr, &templates, &plan).await
    });
    let panics = panics.load(Ordering::SeqCst);
    println!("fuzz: {}; {panics} panics", report.summary());
    for example in &report.examples {
        println!("{example}");
    }
    if report.failures > 0 || panics > 0 || report.stopped_early {
        std::process::exit(1);
    }
}
