//! The official TypeScript MCP client against `example-federation`, whose providers are two
//! real OpenID providers (two `oidc-provider` instances on loopback standing in for GitHub and
//! Slack): discovery, registration, the local login, both providers linked in turn, tools that
//! call each provider's user endpoint with the user's token there, then a silent refresh of our
//! token that keeps both links.

#[allow(dead_code)]
#[path = "../../remote/tests/common/mod.rs"]
mod providers;

use std::time::Duration;

use frontmcp_auth_testkit::{ExampleServer, Steps, TEST_PASSWORD, run_node};

#[allow(dead_code)]
mod federation_env {
    include!("common/env.rs");
}
use providers::Idp;
use serde_json::Value;

const BINARY: &str = env!("CARGO_BIN_EXE_example-federation");

#[test]
fn the_typescript_sdk_links_both_providers_and_tools_read_each_token() {
    let github = Idp::start();
    let slack = Idp::start();
    let env = federation_env::server_env(&github.issuer, &slack.issuer);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = ExampleServer::start_with_users(BINARY, &env, &["ada@example.com"]);
    let local = format!("ada@example.com:{TEST_PASSWORD}");
    let run = run_node(
        "oauth-client.mjs",
        &[
            &server.mcp_url,
            "--local",
            &local,
            "--upstream",
            "ada:ada-password",
            "--call",
            "whoami",
            "--call",
            r#"provider_profile={"provider":"github"}"#,
            "--call",
            r#"provider_profile={"provider":"slack"}"#,
        ],
        Duration::from_secs(90),
    );
    assert!(run.success, "{}\n{}", run.stdout, run.stderr);
    let report = run.report();
    assert!(report.get("error").is_none(), "{report:#}");
    assert!(report.get("stuck").is_none(), "{report:#}");

    let pages = Steps::of(&report, "pages");
    let login = pages.first("POST server /oauth/callback 302");
    let github_back = pages.first("GET server /oauth/provider/github/callback 302");
    let slack_back = pages.first("GET server /oauth/provider/slack/callback 302");
    assert!(
        login < github_back && github_back < slack_back,
        "our login, then GitHub, then Slack"
    );
    assert_eq!(report["localLogins"], 1);
    assert_eq!(report["redirect"]["stateEchoed"], true);
    assert_eq!(report["redirect"]["iss"], server.base_url());

    for (i, provider) in ["whoami", "github", "slack"].iter().enumerate() {
        assert_eq!(report["calls"][i]["ok"], true, "{provider}: {report:#}");
    }
    assert_eq!(
        report["calls"][0]["text"], "ada@example.com linked=github,slack",
        "the local user is the subject, with both providers linked"
    );
    for (i, idp) in [(1, &github), (2, &slack)] {
        let profile = report["calls"][i]["text"].as_str().unwrap_or_default();
        assert!(
            profile.starts_with("200 ") && profile.contains("\"sub\":\"ada\""),
            "the provider answered the user's token: {profile}"
        );
        let stats = idp.get("/__test/stats");
        assert_eq!(stats["authorization_code"], 1, "{stats}");
        assert!(
            stats["userinfo"].as_u64().unwrap_or_default() >= 1,
            "{stats}"
        );
    }

    assert_eq!(report["refreshes"], 1, "the dead token was refreshed once");
    assert_eq!(
        report["after"][0]["text"],
        "ada@example.com linked=github,slack"
    );
    assert_eq!(report["after"][1]["ok"], true, "{report:#}");
    assert_eq!(report["after"][2]["ok"], true, "{report:#}");

    let everything = report.to_string();
    for idp in [&github, &slack] {
        for token in idp
            .get("/__test/tokens")
            .as_array()
            .expect("tokens")
            .iter()
            .filter_map(Value::as_str)
        {
            assert!(
                !everything.contains(token),
                "a provider token reached the MCP client"
            );
        }
    }
}
