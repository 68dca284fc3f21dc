//! `@modelcontextprotocol/conformance` 0.1.13 against the example binary.

use std::time::Duration;

use frontmcp_auth_testkit::{ExampleServer, run_node};

const BINARY: &str = env!("CARGO_BIN_EXE_example-conformance");

const SCENARIOS: &[&str] = &[
    "server-initialize",
    "ping",
    "tools-list",
    "tools-call-simple-text",
    "tools-call-error",
    "dns-rebinding-protection",
];

#[test]
fn the_conformance_scenarios_pass() {
    let server = ExampleServer::start(BINARY, &[]);
    let cli = "node_modules/@modelcontextprotocol/conformance/dist/index.js";
    let mut failures = Vec::new();
    for scenario in SCENARIOS {
        let run = run_node(
            cli,
            &["server", "--url", &server.mcp_url, "--scenario", scenario],
            Duration::from_secs(120),
        );
        let passed =
            run.success && run.stdout.contains(", 0 failed") && !run.stdout.contains("FAILURE");
        if !passed {
            failures.push(format!("{scenario}:\n{}\n{}", run.stdout, run.stderr));
        }
    }
    assert!(
        failures.is_empty(),
        "failed scenarios:\n{}",
        failures.join("\n")
    );
}

#[test]
fn a_scenario_the_server_cannot_pass_is_reported_as_failed() {
    let server = ExampleServer::start(BINARY, &[]);
    let cli = "node_modules/@modelcontextprotocol/conformance/dist/index.js";
    let run = run_node(
        cli,
        &[
            "server",
            "--url",
            &server.mcp_url,
            "--scenario",
            "tools-call-image",
        ],
        Duration::from_secs(120),
    );
    assert!(
        !run.success,
        "the runner must fail a scenario whose tool is missing:\n{}",
        run.stdout
    );
}
