//! `tools/call` throughput and latency over loopback: the README's main job's path (a
//! local-mode server, ES256 tokens, stateful sessions, memory storage, served by
//! `serve_router` as `serve` does), against the same rmcp app mounted with no guard.
//!
//! The server runs on its own single-threaded Tokio runtime (one core); a load driver on a
//! second one keeps 1, then 32, HTTP/1.1 keep-alive connections busy: each worker signs in
//! through the real authorize → login → token flow, initializes its own MCP session, then
//! calls the `echo` tool back to back until `SECONDS` pass, each call timed from send to the
//! parsed JSON-RPC response.
//!
//! Run with `cargo bench -p frontmcp-auth --bench tool_call_load`. `FRONTMCP_BENCH_SECONDS`
//! (default 5) changes the run.

mod common;

use common::Outcome;
use std::sync::Arc;
use std::time::{Duration, Instant};

use frontmcp_auth::ServerDefinition;
use frontmcp_auth::config::{Environment, FileChoice};
use frontmcp_auth::token::{KeyKind, SigningKey};
use frontmcp_auth_testkit::flow::Flow;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{tool, tool_router};
use serde_json::{Value, json};

/// At most this many calls per run, whatever the duration.
const MAX_REQUESTS: usize = 400_000;

/// Arguments of `echo`.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct EchoArgs {
    /// What to echo.
    text: String,
}

/// One tool.
#[derive(Debug, Clone, Default)]
struct EchoApp;

#[tool_router(server_handler)]
impl EchoApp {
    #[tool(description = "Echo the text back")]
    async fn echo(&self, Parameters(EchoArgs { text }): Parameters<EchoArgs>) -> String {
        text
    }
}

/// The README's main job's layout: local mode, ES256, stateful, memory storage.
fn guarded() -> axum::Router {
    let (_, jwk) = SigningKey::generate(KeyKind::Es256).expect("key");
    let definition = ServerDefinition::new("ToolBench")
        .with_base(json!({
            "auth": {
                "mode": "local",
                "session_mode": "stateful",
                "local": { "sign_key": Value::Object(jwk) },
            }
        }))
        .app::<EchoApp>("echo");
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
}

/// The same app with no guard: rmcp's streamable HTTP service alone.
fn unguarded() -> axum::Router {
    let service = StreamableHttpService::new(
        || Ok(EchoApp),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default().disable_allowed_hosts(),
    );
    axum::Router::new().route_service("/mcp", service)
}

async fn drive(base: String, sign_in: bool, concurrency: usize, seconds: u64) -> Outcome {
    let flow = Flow::default();
    let token = if sign_in {
        let client_id = flow.register(&base).await;
        let code = flow.authorize(&base, &client_id, "ada@example.com").await;
        flow.exchange(&base, &client_id, &code).await["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    } else {
        String::from("unused")
    };
    let mut sessions = Vec::new();
    for _ in 0..concurrency {
        sessions.push(
            flow.mcp(&format!("{base}/mcp"), &token)
                .await
                .expect("session"),
        );
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let per_worker = MAX_REQUESTS / concurrency;
    let tasks: Vec<_> = sessions
        .into_iter()
        .map(|mut session| {
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0;
                while Instant::now() < deadline && latencies.len() + errors < per_worker {
                    let sent = Instant::now();
                    let reply = session.call("echo", json!({"text": "hello"})).await;
                    let took = sent.elapsed().as_micros() as u64;
                    match reply {
                        Ok(message) if message["result"]["content"][0]["text"] == "hello" => {
                            latencies.push(took);
                        }
                        _ => errors += 1,
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    Outcome::collect(tasks, started).await
}

fn main() {
    // `cargo bench` passes `--bench`; a plain `cargo test --benches` run should not load.
    if !std::env::args().any(|a| a == "--bench") {
        println!("tool_call_load: run with `cargo bench -p frontmcp-auth --bench tool_call_load`");
        return;
    }
    let seconds = std::env::var("FRONTMCP_BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let driver = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("driver runtime");
    println!("tools/call over loopback, {seconds} s per run, server on one core");
    println!(
        "{:<34} {:>5} {:>9} {:>9} {:>8} {:>8} {:>7}",
        "server", "conns", "calls", "calls/s", "p50 ms", "p99 ms", "errors"
    );
    for concurrency in [1usize, 32] {
        for (name, sign_in) in [
            ("guarded (local, ES256, stateful)", true),
            ("same rmcp app, no guard", false),
        ] {
            let (base, stop) = if sign_in {
                common::serve_on_own_thread(guarded)
            } else {
                common::serve_on_own_thread(unguarded)
            };
            let outcome = driver.block_on(drive(base, sign_in, concurrency, seconds));
            let _ = stop.send(());
            let count = outcome.latencies_us.len();
            println!(
                "{:<34} {:>5} {:>9} {:>9.0} {:>8.2} {:>8.2} {:>7}",
                name,
                concurrency,
                count,
                outcome.rate(),
                outcome.percentile(50.0),
                outcome.percentile(99.0),
                outcome.errors
            );
        }
    }
}
