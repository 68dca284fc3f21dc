//! `@modelcontextprotocol/conformance` against the example binary: every server scenario of
//! 0.1.13 (the active suite and the pending ones), in public mode and again behind local-mode
//! OAuth, where a small proxy adds the bearer token a real sign-in obtained; and every server
//! scenario of 0.1.16, the newest release, on the Node.js 22 of `tests/node22`.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use frontmcp_auth_testkit::flow::Flow;
use frontmcp_auth_testkit::{ExampleServer, NodeRun, run_node, run_node22};

const BINARY: &str = env!("CARGO_BIN_EXE_example-conformance");
const CLI: &str = "node_modules/@modelcontextprotocol/conformance/dist/index.js";

/// Every server scenario of conformance 0.1.13 (`--suite all`).
const SCENARIOS: &[&str] = &[
    "server-initialize",
    "logging-set-level",
    "ping",
    "completion-complete",
    "tools-list",
    "tools-call-simple-text",
    "tools-call-image",
    "tools-call-audio",
    "tools-call-embedded-resource",
    "tools-call-mixed-content",
    "tools-call-with-logging",
    "tools-call-error",
    "tools-call-with-progress",
    "tools-call-sampling",
    "tools-call-elicitation",
    "json-schema-2020-12",
    "elicitation-sep1034-defaults",
    "server-sse-polling",
    "server-sse-multiple-streams",
    "elicitation-sep1330-enums",
    "resources-list",
    "resources-read-text",
    "resources-read-binary",
    "resources-templates-read",
    "resources-subscribe",
    "resources-unsubscribe",
    "prompts-list",
    "prompts-get-simple",
    "prompts-get-with-args",
    "prompts-get-embedded-resource",
    "prompts-get-with-image",
    "dns-rebinding-protection",
];

/// The summary line of each scenario: (name, passed).
fn summary(stdout: &str) -> Vec<(String, bool)> {
    let Some((_, summary)) = stdout.split_once("=== SUMMARY ===") else {
        return Vec::new();
    };
    summary
        .lines()
        .filter_map(|line| {
            let (mark, rest) = line.trim().split_once(' ')?;
            let (name, counts) = rest.split_once(": ")?;
            let passed = mark == "✓" && counts.contains(", 0 failed");
            matches!(mark, "✓" | "✗").then(|| (name.to_owned(), passed))
        })
        .collect()
}

type Runner = fn(&str, &[&str], Duration) -> NodeRun;

/// Runs the whole suite (with `runner`) against `url`: each scenario's summary line.
fn run_suite_with(runner: Runner, url: &str) -> (Vec<(String, bool)>, String) {
    let run = runner(
        CLI,
        &["server", "--url", url, "--suite", "all"],
        Duration::from_secs(300),
    );
    let report = format!("{}\n{}", run.stdout, run.stderr);
    (summary(&run.stdout), report)
}

fn run_suite(url: &str) -> (Vec<(String, bool)>, String) {
    run_suite_with(run_node, url)
}

fn assert_every_scenario_passes(url: &str) {
    assert_every_scenario_passes_with(run_node, url);
}

fn assert_every_scenario_passes_with(runner: Runner, url: &str) {
    let (results, report) = run_suite_with(runner, url);
    let names: Vec<&str> = results.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, SCENARIOS, "the suite's scenarios:\n{report}");
    let failed: Vec<&str> = results
        .iter()
        .filter(|(_, passed)| !passed)
        .map(|(n, _)| n.as_str())
        .collect();
    assert!(failed.is_empty(), "failed: {failed:?}\n{report}");
}

#[test]
fn every_server_scenario_passes_in_public_mode() {
    let server = ExampleServer::start(
        BINARY,
        &[("FRONTMCP_AUTH__PUBLIC_ACCESS__RATE_LIMIT", "6000")],
    );
    assert_every_scenario_passes(&server.mcp_url);
}

#[test]
fn every_server_scenario_of_the_newest_release_passes() {
    // 0.1.16 needs Node.js 22; it lists the same 32 server scenarios as 0.1.13 (a new one would
    // show in the assertion's message, with its result).
    let server = ExampleServer::start(
        BINARY,
        &[("FRONTMCP_AUTH__PUBLIC_ACCESS__RATE_LIMIT", "6000")],
    );
    assert_every_scenario_passes_with(run_node22, &server.mcp_url);
}

/// Forwards every request to `upstream`, streaming the answer back (server-sent events
/// included), with `Authorization: Bearer {token}` added to MCP requests once a token is set.
/// Host and Origin pass through unchanged.
struct TokenProxy {
    http: reqwest::Client,
    upstream: String,
    token: std::sync::Mutex<Option<String>>,
}

async fn forward(State(proxy): State<Arc<TokenProxy>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 16 * 1024 * 1024).await else {
        return Response::builder()
            .status(413)
            .body(Body::empty())
            .unwrap_or_default();
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut outgoing = proxy
        .http
        .request(parts.method.clone(), format!("{}{path}", proxy.upstream))
        .body(body);
    let token = proxy.token.lock().ok().and_then(|t| t.clone());
    if let Some(token) = token.filter(|_| parts.uri.path() == "/mcp") {
        outgoing = outgoing.bearer_auth(token);
    }
    for (name, value) in &parts.headers {
        if !matches!(
            name.as_str(),
            "content-length" | "connection" | "authorization"
        ) {
            outgoing = outgoing.header(name, value);
        }
    }
    let Ok(upstream) = outgoing.send().await else {
        return Response::builder()
            .status(502)
            .body(Body::empty())
            .unwrap_or_default();
    };
    let mut response = Response::builder().status(upstream.status());
    for (name, value) in upstream.headers() {
        if !matches!(
            name.as_str(),
            "content-length" | "connection" | "transfer-encoding"
        ) {
            response = response.header(name, value);
        }
    }
    let chunks = futures::stream::unfold(upstream, |mut upstream| async move {
        match upstream.chunk().await {
            Ok(Some(chunk)) => Some((Ok::<_, std::io::Error>(chunk), upstream)),
            _ => None,
        }
    });
    response.body(Body::from_stream(chunks)).unwrap_or_default()
}

/// Serves a proxy to `upstream` on `listener` on its own thread.
fn serve_proxy(listener: std::net::TcpListener, upstream: String) -> Arc<TokenProxy> {
    listener.set_nonblocking(true).expect("nonblocking");
    let proxy = Arc::new(TokenProxy {
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        upstream,
        token: std::sync::Mutex::new(None),
    });
    let serving = proxy.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            let app = axum::Router::new().fallback(forward).with_state(serving);
            let _ = axum::serve(listener, app).await;
        });
    });
    proxy
}

const LOCAL: &[(&str, &str)] = &[
    ("FRONTMCP_AUTH__MODE", "local"),
    ("JWT_SECRET", "a-conformance-secret-that-is-long-enough"),
    ("FRONTMCP_AUTH__LOGIN__AUTHENTICATOR", "password"),
    ("FRONTMCP_AUTH__LOGIN__USERS_FILE", "users.json"),
];

#[test]
fn every_server_scenario_passes_behind_local_mode_oauth() {
    // The proxy is the server's public URL: the sign-in goes through it, and tokens name it as
    // their issuer and audience.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let public_url = format!("http://{}", listener.local_addr().expect("address"));
    let mut env = LOCAL.to_vec();
    env.push(("FRONTMCP_HTTP__PUBLIC_URL", &public_url));
    let server = ExampleServer::start_with_users(BINARY, &env, &["ada@example.com"]);
    let proxy = serve_proxy(listener, server.base_url());
    let token = Flow::sign_in_blocking(&public_url, "ada@example.com");
    if let Ok(mut slot) = proxy.token.lock() {
        *slot = Some(token);
    }
    assert_every_scenario_passes(&format!("{public_url}/mcp"));
}

#[test]
fn without_a_token_the_guard_fails_every_scenario_that_reaches_mcp() {
    let server = ExampleServer::start_with_users(BINARY, LOCAL, &["ada@example.com"]);
    let (results, report) = run_suite(&server.mcp_url);
    assert_eq!(results.len(), SCENARIOS.len(), "{report}");
    let passed: Vec<&str> = results
        .iter()
        .filter(|(_, passed)| *passed)
        .map(|(n, _)| n.as_str())
        .collect();
    // Even the host check's scenario fails: a localhost request without a token gets 401.
    assert!(
        passed.is_empty(),
        "passed without a token: {passed:?}\n{report}"
    );
}
