//! MCP calls over one connection answer at wire speed: the listener sets `TCP_NODELAY`, so a
//! streamed response is not held back by Nagle's algorithm waiting for the client's delayed
//! acknowledgement (about 40 ms a call). The bound is far from both: this is a regression test
//! of the stall, not a timing test (the figures are in `docs/BENCHMARKS.md`).

mod common;

use std::time::{Duration, Instant};

use common::apps::MathApp;
use common::mcp::{Client, start, text_of};
use frontmcp_auth::ServerDefinition;
use frontmcp_auth::http::RouterOptions;
use serde_json::json;

/// Far above a loopback round trip (well under a millisecond), far below the 40 ms stall.
const STALL_BOUND: Duration = Duration::from_millis(15);

#[tokio::test]
async fn one_connection_tool_calls_do_not_wait_for_delayed_acknowledgements() {
    let definition = ServerDefinition::new("Latency")
        .with_base(json!({ "auth": { "mode": "public" } }))
        .app::<MathApp>("math");
    let server = start(&definition, &[], RouterOptions::default()).await;
    let mut client = Client::new(server.url("/mcp"));
    assert_eq!(client.initialize().await.status, 200);
    for _ in 0..5 {
        assert_eq!(
            text_of(&client.call("echo", json!({"text": "warm"})).await),
            "warm"
        );
    }
    let mut times = Vec::new();
    for i in 0..31 {
        let text = format!("call {i}");
        let started = Instant::now();
        let answer = client.call("echo", json!({ "text": text })).await;
        times.push(started.elapsed());
        assert_eq!(text_of(&answer), text);
    }
    times.sort();
    let median = times[times.len() / 2];
    assert!(
        median < STALL_BOUND,
        "median MCP round trip {median:?} over one connection (sorted: {times:?})"
    );
}
