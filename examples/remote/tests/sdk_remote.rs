//! The official TypeScript MCP client against `example-remote` in front of a real OpenID provider
//! (node `oidc-provider` on loopback): discovery, registration, the user's sign-in at the
//! provider's own pages, our code, tools that read the upstream identity and call the provider's
//! API with the user's upstream token, then a silent refresh.

mod common;

use std::time::Duration;

use frontmcp_auth_testkit::{ExampleServer, Steps, run_node};
use serde_json::Value;

use common::{Idp, server_env};

const BINARY: &str = env!("CARGO_BIN_EXE_example-remote");

#[test]
fn the_typescript_sdk_signs_in_at_the_provider_and_tools_use_the_upstream_token() {
    let idp = Idp::start();
    let env = server_env(&idp);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = ExampleServer::start(BINARY, &env);
    let run = run_node(
        "oauth-client.mjs",
        &[
            &server.mcp_url,
            "--upstream",
            "ada:ada-password",
            "--call",
            "whoami",
            "--call",
            "idp_profile",
        ],
        Duration::from_secs(90),
    );
    assert!(run.success, "{}\n{}", run.stdout, run.stderr);
    let report = run.report();
    assert!(report.get("error").is_none(), "{report:#}");
    assert!(report.get("stuck").is_none(), "{report:#}");

    let pages = Steps::of(&report, "pages");
    let authorize = pages.first("GET server /oauth/authorize 302");
    let at_provider = pages.first("GET idp /auth");
    let callback = pages.first("GET server /oauth/provider/default/callback 302");
    assert!(
        authorize < at_provider && at_provider < callback,
        "our authorize, the provider's pages, our callback"
    );

    assert_eq!(report["registrations"], 1);
    assert_eq!(report["logins"], 1, "one sign-in for the whole run");
    assert_eq!(
        report["redirect"]["target"],
        "http://127.0.0.1:8976/callback"
    );
    assert_eq!(report["redirect"]["stateEchoed"], true);
    assert_eq!(report["redirect"]["iss"], server.base_url());

    assert_eq!(report["calls"][0]["ok"], true, "{report:#}");
    assert_eq!(
        report["calls"][0]["text"], "ada <ada@example.com> from default",
        "the identity is the provider's"
    );
    let profile = report["calls"][1]["text"].as_str().unwrap_or_default();
    assert!(
        profile.starts_with("200 ") && profile.contains("ada@example.com"),
        "the provider's API answered the user's upstream token: {profile}"
    );

    assert_eq!(
        report["refreshes"], 1,
        "the dead token was replaced by one refresh"
    );
    assert_eq!(
        report["after"][0]["text"],
        "ada <ada@example.com> from default"
    );

    let stats = idp.get("/__test/stats");
    assert!(
        stats["userinfo"].as_u64().unwrap_or_default() >= 1,
        "the provider saw the tool's call: {stats}"
    );
    let everything = report.to_string();
    for token in idp
        .get("/__test/tokens")
        .as_array()
        .expect("tokens")
        .iter()
        .filter_map(Value::as_str)
    {
        assert!(
            !everything.contains(token),
            "an upstream token reached the MCP client"
        );
    }
}
