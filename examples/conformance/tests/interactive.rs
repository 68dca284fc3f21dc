//! A tool's requests to the client go through the composed server and the guard: the official
//! TypeScript client, signed in to local-mode OAuth, answers a tool's sampling and elicitation
//! requests and its answers come back to the tool; progress and log notifications arrive in
//! order; a subscribed resource's update reaches the client, and none after it unsubscribes.

use std::time::Duration;

use frontmcp_auth_testkit::flow::Flow;
use frontmcp_auth_testkit::{ExampleServer, run_node};

const BINARY: &str = env!("CARGO_BIN_EXE_example-conformance");

#[test]
fn sampling_elicitation_progress_logs_and_updates_reach_the_client_through_the_guard() {
    let env = [
        ("FRONTMCP_AUTH__MODE", "local"),
        ("JWT_SECRET", "a-conformance-secret-that-is-long-enough"),
        ("FRONTMCP_AUTH__LOGIN__AUTHENTICATOR", "password"),
        ("FRONTMCP_AUTH__LOGIN__USERS_FILE", "users.json"),
    ];
    let server = ExampleServer::start_with_users(BINARY, &env, &["ada@example.com"]);
    let base = server.base_url();
    let token = Flow::sign_in_blocking(&base, "ada@example.com");
    let run = run_node(
        "sdk-interactive.mjs",
        &[&server.mcp_url, "--token", &token],
        Duration::from_secs(60),
    );
    assert!(run.success, "{}\n{}", run.stdout, run.stderr);
    let report = run.report();
    assert_eq!(
        report["sampling"],
        serde_json::json!(["What is 2+2?"]),
        "{report:#}"
    );
    assert_eq!(
        report["results"]["sampling"], "LLM response: sampled by the client",
        "the client's answer came back to the tool"
    );
    assert_eq!(report["elicitation"], serde_json::json!(["Who are you?"]));
    let elicited = report["results"]["elicitation"]
        .as_str()
        .unwrap_or_default();
    assert!(
        elicited.contains("accept") && elicited.contains("ada@example.com"),
        "{elicited}"
    );
    assert_eq!(
        report["progress"],
        serde_json::json!([0, 50, 100]),
        "progress in order"
    );
    assert_eq!(
        report["logs"],
        serde_json::json!([
            "Tool execution started",
            "Tool processing data",
            "Tool execution completed"
        ]),
        "log messages in order"
    );
    assert_eq!(report["results"]["touched"], "1 subscriber(s) told");
    assert_eq!(report["results"]["touchedAfter"], "0 subscriber(s) told");
    assert_eq!(
        report["updates"],
        serde_json::json!(["test://watched-resource"]),
        "one update while subscribed, none after"
    );
}
