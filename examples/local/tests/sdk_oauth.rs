//! The official TypeScript MCP client completes the whole local-mode OAuth flow against the
//! README's main job, headless, then survives a dead access token by refreshing.

use std::time::Duration;

use frontmcp_auth_testkit::{ExampleServer, Steps, run_node};

const BINARY: &str = env!("CARGO_BIN_EXE_example-local");

#[test]
fn the_typescript_sdk_logs_in_calls_tools_and_refreshes_silently() {
    let server = ExampleServer::start_with_users(
        BINARY,
        &[("JWT_SECRET", "an-example-secret-that-is-long-enough")],
        &["ada@example.com"],
    );
    let run = run_node(
        "oauth-client.mjs",
        &[
            &server.mcp_url,
            "--email",
            "Ada@Example.com",
            "--password",
            frontmcp_auth_testkit::TEST_PASSWORD,
            "--call",
            r#"add_note={"text":"first"}"#,
            "--call",
            "whoami",
        ],
        Duration::from_secs(90),
    );
    assert!(run.success, "{}\n{}", run.stdout, run.stderr);
    let report = run.report();
    assert!(report.get("error").is_none(), "{report:#}");

    let requests = Steps::of(&report, "requests");
    let probe = requests.first("POST /mcp 401");
    let resource = requests.first("GET /.well-known/oauth-protected-resource");
    let authorization_server = requests.first("GET /.well-known/oauth-authorization-server");
    let registration = requests.first("POST /oauth/register 201");
    let exchange = requests.first("POST /oauth/token 200");
    assert!(
        probe < resource
            && resource < authorization_server
            && authorization_server < registration
            && registration < exchange,
        "{:#?}",
        requests.all()
    );

    assert_eq!(report["registrations"], 1);
    assert_eq!(report["logins"], 1, "one login for the whole run");
    assert_eq!(report["loginPageStatus"], 200);
    assert_eq!(report["redirect"]["status"], 302);
    assert_eq!(
        report["redirect"]["target"],
        "http://127.0.0.1:8976/callback"
    );
    assert_eq!(report["redirect"]["stateEchoed"], true);
    assert_eq!(report["redirect"]["iss"], server.base_url());
    assert_eq!(
        report["tools"],
        serde_json::json!(["add_note", "list_notes", "whoami"])
    );
    assert_eq!(report["calls"][0]["text"], "saved; you have 1 notes");
    let whoami = report["calls"][1]["text"].as_str().unwrap_or_default();
    assert!(
        whoami.starts_with("ada@example.com <ada@example.com> via mcp_"),
        "{whoami}"
    );
    assert_eq!(report["firstRefreshToken"], "present");
    assert_eq!(report["expiresIn"], 900);

    assert_eq!(
        report["refreshes"], 1,
        "the dead token was replaced by one refresh"
    );
    assert_eq!(report["refreshTokenRotated"], true);
    assert_eq!(report["accessTokenReplaced"], true);
    assert_eq!(report["after"][0]["text"], "saved; you have 2 notes");
    assert_eq!(report["after"][1]["ok"], true);
}
