//! Debian Chromium signs a user in through `example-federation` the way a person would: our
//! login page lists GitHub (required) and Slack, the user signs in here, then at each provider
//! (two real OpenID providers, node `oidc-provider`) in turn, and the official TypeScript MCP
//! client calls a tool that reads each provider's token. Screenshots of our login page and of
//! each provider's pages are saved to `target/screenshots/federation/`.

#[allow(dead_code)]
#[path = "../../remote/tests/common/mod.rs"]
mod providers;

#[allow(dead_code)]
mod sdk_federation_env {
    include!("common/env.rs");
}

use std::time::Duration;

use frontmcp_auth_testkit::{ExampleServer, Screenshots, Steps, TEST_PASSWORD, run_node};
use providers::Idp;
use serde_json::json;

const BINARY: &str = env!("CARGO_BIN_EXE_example-federation");

#[test]
fn a_browser_signs_in_and_links_two_providers() {
    let github = Idp::start();
    let slack = Idp::start();
    let env = sdk_federation_env::server_env(&github.issuer, &slack.issuer);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = ExampleServer::start_with_users(BINARY, &env, &["ada@example.com"]);
    let shots = Screenshots::prepare(
        "federation",
        &[
            "login.png",
            "github-login.png",
            "github-consent.png",
            "slack-login.png",
            "slack-consent.png",
        ],
    );
    let run = run_node(
        "browser-federation.mjs",
        &[
            &server.mcp_url,
            &shots.arg(),
            "ada@example.com",
            TEST_PASSWORD,
            "ada",
            "ada-password",
        ],
        Duration::from_secs(150),
    );
    assert!(
        run.success,
        "browser run failed:\n{}\n{}",
        run.stdout, run.stderr
    );
    let report = run.report();
    shots.assert_saved();
    assert_eq!(report["loginTitle"], "Sign in");
    assert_eq!(
        report["providers"],
        json!(["GitHub (required)", "Slack"]),
        "{report:#}"
    );
    let hosts = Steps::of(&report, "hosts");
    let first = |needle: &str| hosts.first(needle);
    let port = |issuer: &str| issuer.rsplit(':').next().unwrap_or_default().to_owned();
    let at_github = first(&format!("idp:{} /interaction", port(&github.issuer)));
    let at_slack = first(&format!("idp:{} /interaction", port(&slack.issuer)));
    assert!(
        first("server /oauth/authorize") < at_github && at_github < at_slack,
        "our login page, then GitHub, then Slack"
    );
    assert_eq!(report["redirect"]["iss"], server.base_url());
    assert_eq!(report["whoami"], "ada@example.com linked=github,slack");
    for provider in ["github", "slack"] {
        let text = report[provider].as_str().unwrap_or_default();
        assert!(
            text.starts_with("200 ") && text.contains("\"sub\":\"ada\""),
            "{provider}: {text}"
        );
    }
    for idp in [&github, &slack] {
        assert_eq!(idp.get("/__test/stats")["logins"], 1);
    }
}
