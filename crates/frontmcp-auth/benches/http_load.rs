//! One load benchmark for every path a client runs over HTTP, each at 1 and 32 connections:
//! `tools/call` guarded (the README's main job's layout: local mode, ES256 access tokens,
//! stateful sessions, memory storage, served by `serve_router` as `serve` does) and the same
//! rmcp app with no guard; discovery; the whole login flow (register, authorize, login form,
//! code exchange); the refresh grant with rotation on memory, SQLite and Redis; remote mode's
//! whole sign-in against a real OpenID provider (node `oidc-provider`, its own process) and a
//! guarded tool call that reads the caller's upstream token (`auth.upstream_token()`).
//!
//! The server runs on its own single-threaded Tokio runtime (one core); a closed-loop driver on
//! a second one keeps the connections busy, each request timed from send to the parsed answer.
//!
//! Run with `cargo bench -p frontmcp-auth --bench http_load` (Redis needs `redis-server`,
//! which `./scripts/test` installs). `FRONTMCP_BENCH_SECONDS` (default 5) sets each run's
//! length; `FRONTMCP_BENCH_PATHS` (comma-separated: `tools`, or `guarded` and `bare` alone,
//! `discovery`, `login`, `refresh`, `remote`, `upstream`) picks the paths. The remote paths need
//! the node packages `./scripts/test` installs.

mod common;
#[path = "../tests/common/mod.rs"]
mod tests_common;

use common::Outcome;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use frontmcp_auth::ServerDefinition;
use frontmcp_auth::token::{KeyKind, SigningKey};
use frontmcp_auth_testkit::RedisServer;
use frontmcp_auth_testkit::flow::Flow;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{tool, tool_router};
use serde_json::{Value, json};
use tests_common::local::{Local, VERIFIER};
use tests_common::mcp::Running;
use tests_common::remote::{Idp, SignIn};

/// At most this many requests per run, whatever the duration.
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

/// The README's main job's layout on `storage`: local mode, ES256, stateful, the demo login,
/// registration without a practical limit (the login-flow run registers a client per login).
fn guarded(storage: Value) -> axum::Router {
    let (_, jwk) = SigningKey::generate(KeyKind::Es256).expect("key");
    let definition = ServerDefinition::new("LoadBench")
        .with_base(json!({
            "auth": {
                "mode": "local",
                "session_mode": "stateful",
                "local": { "sign_key": Value::Object(jwk) },
                "token_storage": storage,
                "dcr": { "max_dynamic_clients": 100_000_000u64 },
            }
        }))
        .app::<EchoApp>("echo");
    let public_url = [("FRONTMCP_PUBLIC_URL", "http://127.0.0.1")];
    let loaded = tests_common::load_toml(&definition, "", &public_url).expect("config");
    frontmcp_auth::router(&loaded, &definition).expect("router")
}

/// Remote mode in front of `issuer` (the tests' provider and client, ES256 access tokens,
/// stateful sessions, memory storage), serving the tests' `UpstreamApp`.
fn remote(issuer: &str) -> axum::Router {
    let (_, jwk) = SigningKey::generate(KeyKind::Es256).expect("key");
    let definition = tests_common::remote::definition(
        issuer,
        json!({ "local": { "sign_key": Value::Object(jwk) }, "session_mode": "stateful" }),
    );
    let loaded = tests_common::load_toml(&definition, "", &[]).expect("config");
    frontmcp_auth::router(&loaded, &definition).expect("router")
}

/// One whole remote sign-in in a fresh browser: our authorize, the provider's login and
/// consent pages, our upstream callback, our code exchange.
async fn remote_sign_in(local: &Local, client_id: &str) -> Option<Value> {
    let sign_in = SignIn::begin_for(local, client_id).await;
    let mut callback = sign_in.at_provider("ada").await;
    let port = url::Url::parse(&local.base()).ok()?.port();
    callback.set_port(port).ok()?;
    let code = sign_in.finish(&callback).await.location_param("code")?;
    let reply = local.exchange(client_id, &code, VERIFIER).await;
    (reply.status == 200).then(|| reply.json())
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

/// Runs `op` back to back until `deadline` or `limit` requests; each timed.
async fn closed_loop(
    deadline: Instant,
    limit: usize,
    mut op: impl AsyncFnMut() -> bool,
) -> (Vec<u64>, usize) {
    let mut latencies = Vec::new();
    let mut errors = 0;
    while Instant::now() < deadline && latencies.len() + errors < limit {
        let sent = Instant::now();
        let ok = op().await;
        let took = sent.elapsed().as_micros() as u64;
        if ok {
            latencies.push(took);
        } else {
            errors += 1;
        }
    }
    (latencies, errors)
}

/// A signed-in access and refresh token for a new client.
async fn sign_in(flow: &Flow, base: &str) -> (String, String, String) {
    let client_id = flow.register(base).await;
    let code = flow.authorize(base, &client_id, "ada@example.com").await;
    let tokens = flow.exchange(base, &client_id, &code).await;
    let text = |name: &str| tokens[name].as_str().expect("token").to_owned();
    (client_id, text("access_token"), text("refresh_token"))
}

#[derive(Clone, Copy, PartialEq)]
enum Path {
    ToolCall { guard: bool },
    Discovery,
    Login,
    Refresh,
    RemoteLogin,
    UpstreamToken,
}

async fn drive(path: Path, local: &Local, concurrency: usize, seconds: u64) -> Outcome {
    let flow = Flow::default();
    let base = local.base();
    let remote_client = match path {
        Path::RemoteLogin | Path::UpstreamToken => Some(local.public_client().await),
        _ => None,
    };
    let token = match path {
        Path::ToolCall { guard: true } => sign_in(&flow, &base).await.1,
        Path::UpstreamToken => {
            let client = remote_client.as_deref().expect("client");
            let tokens = remote_sign_in(local, client)
                .await
                .expect("a remote sign-in");
            tokens["access_token"].as_str().expect("token").to_owned()
        }
        // A first sign-in: discovery and the provider's keys are then cached, as in a server
        // that has been up a while.
        Path::RemoteLogin => {
            let client = remote_client.as_deref().expect("client");
            remote_sign_in(local, client)
                .await
                .expect("a remote sign-in");
            String::from("unused")
        }
        _ => String::from("unused"),
    };
    // Everything a worker needs is set up before the clock starts.
    let mut sessions = Vec::new();
    let mut chains = Vec::new();
    for _ in 0..concurrency {
        match path {
            Path::ToolCall { .. } | Path::UpstreamToken => sessions.push(
                flow.mcp(&format!("{base}/mcp"), &token)
                    .await
                    .expect("session"),
            ),
            Path::Refresh => {
                let (client, _, refresh) = sign_in(&flow, &base).await;
                chains.push((client, refresh));
            }
            Path::Discovery | Path::Login | Path::RemoteLogin => {}
        }
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let limit = MAX_REQUESTS / concurrency;
    // The workers run as futures of this task (the driver's runtime has one thread).
    let mut workers: Vec<futures::future::LocalBoxFuture<'_, (Vec<u64>, usize)>> = Vec::new();
    for _ in 0..concurrency {
        let (flow, base, remote_client) = (flow.clone(), base.clone(), remote_client.clone());
        let mut session = (!sessions.is_empty()).then(|| sessions.remove(0));
        let mut chain = (!chains.is_empty()).then(|| chains.remove(0));
        workers.push(Box::pin(async move {
            match path {
                Path::ToolCall { .. } => {
                    let session = session.as_mut().expect("session");
                    closed_loop(deadline, limit, async || {
                        let reply = session.call("echo", json!({"text": "hello"})).await;
                        reply.is_ok_and(|m| m["result"]["content"][0]["text"] == "hello")
                    })
                    .await
                }
                Path::UpstreamToken => {
                    let session = session.as_mut().expect("session");
                    closed_loop(deadline, limit, async || {
                        let reply = session.call("upstream_token_state", json!({})).await;
                        reply.is_ok_and(|m| {
                            m["result"]["content"][0]["text"]
                                .as_str()
                                .is_some_and(|t| t.starts_with("ok "))
                        })
                    })
                    .await
                }
                Path::RemoteLogin => {
                    let client = remote_client.as_deref().expect("client");
                    closed_loop(deadline, limit, async || {
                        remote_sign_in(local, client).await.is_some()
                    })
                    .await
                }
                Path::Discovery => {
                    let url = format!("{base}/.well-known/oauth-authorization-server");
                    closed_loop(deadline, limit, async || {
                        match flow.http.get(&url).send().await {
                            Ok(r) if r.status() == 200 => r.bytes().await.is_ok(),
                            _ => false,
                        }
                    })
                    .await
                }
                Path::Login => {
                    closed_loop(deadline, limit, async || {
                        let (_, access, _) = sign_in(&flow, &base).await;
                        !access.is_empty()
                    })
                    .await
                }
                Path::Refresh => {
                    let (client, refresh) = chain.as_mut().expect("chain");
                    closed_loop(deadline, limit, async || {
                        let reply = flow.refresh(&base, client, refresh).await;
                        match reply.json()["refresh_token"].as_str() {
                            Some(next) if reply.status == 200 => {
                                *refresh = next.to_owned();
                                true
                            }
                            _ => false,
                        }
                    })
                    .await
                }
            }
        }));
    }
    common::Outcome::collect(workers, started).await
}

fn wanted(path: &str) -> bool {
    match std::env::var("FRONTMCP_BENCH_PATHS") {
        Ok(list) => list.split(',').any(|p| p.trim() == path),
        Err(_) => true,
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a plain `cargo test --benches` run should not load.
    if !std::env::args().any(|a| a == "--bench") {
        println!("http_load: run with `cargo bench -p frontmcp-auth --bench http_load`");
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
    let redis = wanted("refresh").then(RedisServer::start);
    let idp = (wanted("remote") || wanted("upstream")).then(|| Idp::start(3600));
    let sqlite_dir = tempfile::tempdir().expect("temp dir");
    // Each run: its name, its path and what builds its server's router.
    type Make = Arc<dyn Fn() -> axum::Router + Send + Sync>;
    let on = |storage: Value| -> Make { Arc::new(move || guarded(storage.clone())) };
    let mut runs: Vec<(&str, Path, Make)> = Vec::new();
    if wanted("tools") || wanted("guarded") {
        let path = Path::ToolCall { guard: true };
        runs.push(("tools/call, guarded", path, on(json!("memory"))));
    }
    if wanted("tools") || wanted("bare") {
        let path = Path::ToolCall { guard: false };
        runs.push(("tools/call, no guard", path, Arc::new(unguarded)));
    }
    if wanted("discovery") {
        runs.push((
            "discovery (AS metadata)",
            Path::Discovery,
            on(json!("memory")),
        ));
    }
    if wanted("login") {
        runs.push(("login flow (memory)", Path::Login, on(json!("memory"))));
    }
    if let Some(redis) = &redis {
        runs.push(("refresh (memory)", Path::Refresh, on(json!("memory"))));
        let db = sqlite_dir.path().join("bench.db");
        let sqlite = json!({ "sqlite": { "path": db.to_string_lossy() } });
        runs.push(("refresh (sqlite)", Path::Refresh, on(sqlite)));
        let redis =
            json!({ "redis": { "host": "127.0.0.1", "port": redis.port, "key_prefix": "bench:" } });
        runs.push(("refresh (redis)", Path::Refresh, on(redis)));
    }
    if let Some(idp) = &idp {
        let issuer = idp.issuer.clone();
        let make: Make = Arc::new(move || remote(&issuer));
        if wanted("remote") {
            runs.push(("remote sign-in", Path::RemoteLogin, make.clone()));
        }
        if wanted("upstream") {
            runs.push(("tools/call, upstream token", Path::UpstreamToken, make));
        }
    }
    println!("HTTP over loopback, {seconds} s per run, server on one core, ES256, stateful");
    println!(
        "{:<26} {:>5} {:>9} {:>9} {:>8} {:>8} {:>7}",
        "path", "conns", "requests", "per s", "p50 ms", "p99 ms", "errors"
    );
    for (name, path, make) in runs {
        for concurrency in [1usize, 32] {
            let make = make.clone();
            let (base, stop) = common::serve_on_own_thread(move || make());
            let addr: SocketAddr = base.trim_start_matches("http://").parse().expect("address");
            let local = Local::attach(Running::attach(addr, stop), frontmcp_auth::Clock::system());
            let outcome = driver.block_on(drive(path, &local, concurrency, seconds));
            println!(
                "{:<26} {:>5} {:>9} {:>9.0} {:>8.2} {:>8.2} {:>7}",
                name,
                concurrency,
                outcome.latencies_us.len(),
                outcome.rate(),
                outcome.percentile(50.0),
                outcome.percentile(99.0),
                outcome.errors
            );
        }
    }
    if let Some(idp) = &idp {
        let stats = driver.block_on(idp.stats());
        println!("provider: {stats}");
    }
}
