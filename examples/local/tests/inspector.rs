//! MCP Inspector's CLI (`@modelcontextprotocol/inspector` 2.12, on the Node.js 22 of
//! `tests/node22`) connects to the README's main job with a token from a real sign-in, lists the
//! tools and calls one as the signed-in user.

use std::time::Duration;

use frontmcp_auth_testkit::flow::Flow;
use frontmcp_auth_testkit::{ExampleServer, run_node22};

const BINARY: &str = env!("CARGO_BIN_EXE_example-local");
const CLI: &str = "node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js";

fn inspector(url: &str, token: &str, method: &[&str]) -> serde_json::Value {
    let header = format!("Authorization: Bearer {token}");
    let mut args = vec![
        "--cli",
        url,
        "--transport",
        "http",
        "--format",
        "json",
        "--quiet",
    ];
    args.extend_from_slice(method);
    args.extend(["--header", header.as_str()]);
    let run = run_node22(CLI, &args, Duration::from_secs(90));
    assert!(run.success, "inspector: {}\n{}", run.stdout, run.stderr);
    serde_json::from_str(run.stdout.trim())
        .unwrap_or_else(|e| panic!("inspector printed no JSON ({e}): {}", run.stdout))
}

#[test]
fn mcp_inspectors_cli_lists_the_tools_and_calls_one_as_the_user() {
    let server = ExampleServer::start_with_users(
        BINARY,
        &[("JWT_SECRET", "an-example-secret-that-is-long-enough")],
        &["ada@example.com"],
    );
    let base = server.base_url();
    let token = Flow::sign_in_blocking(&base, "ada@example.com");
    let listed = inspector(&server.mcp_url, &token, &["--method", "tools/list"]);
    let mut names: Vec<&str> = listed["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("tools: {listed:#}"))
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["add_note", "list_notes", "whoami"], "{listed:#}");
    let called = inspector(
        &server.mcp_url,
        &token,
        &["--method", "tools/call", "--tool-name", "whoami"],
    );
    let text = called["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(text.starts_with("ada@example.com"), "{called:#}");

    // Without the token the server answers with its challenge, and the CLI fails.
    let run = run_node22(
        CLI,
        &[
            "--cli",
            &server.mcp_url,
            "--transport",
            "http",
            "--method",
            "tools/list",
            "--quiet",
        ],
        Duration::from_secs(90),
    );
    assert!(!run.success, "no token, no tools: {}", run.stdout);
}
