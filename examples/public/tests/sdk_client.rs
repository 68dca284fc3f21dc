//! The official TypeScript MCP client against the real example binary.

use std::time::Duration;

use frontmcp_auth_testkit::{ExampleServer, run_node};

const BINARY: &str = env!("CARGO_BIN_EXE_example-public");

#[test]
fn the_typescript_sdk_lists_and_calls_the_tools() {
    let server = ExampleServer::start(BINARY, &[]);
    let run = run_node(
        "sdk-client.mjs",
        &[
            &server.mcp_url,
            "--call",
            r#"add={"a":2,"b":3}"#,
            "--call",
            r#"echo={"text":"hello"}"#,
            "--call",
            "whoami",
        ],
        Duration::from_secs(60),
    );
    assert!(run.success, "{}", run.stderr);
    let report = run.report();
    assert_eq!(report["serverInfo"]["name"], "PublicExample");
    assert_eq!(
        report["tools"],
        serde_json::json!(["add", "echo", "whoami"])
    );
    assert_eq!(report["calls"][0]["text"], "5");
    assert_eq!(report["calls"][1]["text"], "hello");
    let whoami = report["calls"][2]["text"].as_str().unwrap_or_default();
    assert!(
        whoami.starts_with("anon:") && whoami.ends_with("(anonymous: true)"),
        "{whoami}"
    );
}

#[test]
fn a_restricted_tool_without_a_token_gets_the_401_challenge() {
    let server = ExampleServer::start(BINARY, &[("FRONTMCP_AUTH__PUBLIC_ACCESS__TOOLS", "echo")]);
    let run = run_node(
        "sdk-client.mjs",
        &[
            &server.mcp_url,
            "--call",
            r#"echo={"text":"still public"}"#,
            "--call",
            r#"add={"a":1,"b":1}"#,
            "--probe-call",
            "add",
        ],
        Duration::from_secs(60),
    );
    assert!(run.success, "{}", run.stderr);
    let report = run.report();
    assert_eq!(report["calls"][0]["text"], "still public");
    assert_eq!(report["calls"][1]["ok"], false);
    assert_eq!(
        report["calls"][1]["code"], 401,
        "the SDK saw: {}",
        report["calls"][1]
    );
    assert_eq!(report["probes"][0]["status"], 401);
    let expected = format!(
        "Bearer resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\"",
        server.base_url()
    );
    assert_eq!(report["probes"][0]["wwwAuthenticate"], expected.as_str());
}
