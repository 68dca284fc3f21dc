//! Debian Chromium signs a user in through `example-remote` the way a person would: our
//! authorize sends the browser to a real OpenID provider (node `oidc-provider`), the user signs in
//! and allows access on its pages, then our consent screen offers the tools and the user keeps
//! one. The official TypeScript MCP client then sees and calls only that tool. Screenshots of the
//! provider's login and consent pages and of our consent page are saved to
//! `target/screenshots/remote/`.

mod common;

use std::time::Duration;

use frontmcp_auth_testkit::{ExampleServer, Screenshots, Steps, run_node};
use serde_json::json;

use common::{Idp, server_env};

const BINARY: &str = env!("CARGO_BIN_EXE_example-remote");

#[test]
fn a_browser_signs_in_at_the_provider_and_keeps_one_tool_on_our_consent_page() {
    let idp = Idp::start();
    let mut env = server_env(&idp);
    env.push(("FRONTMCP_AUTH__CONSENT__ENABLED", String::from("true")));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = ExampleServer::start(BINARY, &env);
    let shots = Screenshots::prepare(
        "remote",
        &["idp-login.png", "idp-consent.png", "consent.png"],
    );
    let run = run_node(
        "browser-remote.mjs",
        &[
            &server.mcp_url,
            &shots.arg(),
            "ada",
            "ada-password",
            "whoami",
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
    assert_eq!(report["idpLoginTitle"], "Sign in to the test IdP");
    assert_eq!(report["idpConsentTitle"], "Allow access");
    assert_eq!(
        report["offered"],
        json!(["idp_profile", "whoami"]),
        "{report:#}"
    );
    let hosts = Steps::of(&report, "hosts");
    let first = |needle: &str| hosts.first(needle);
    assert!(
        first("idp /interaction") < first("server /oauth/provider/default/callback"),
        "the provider's pages, then our callback"
    );
    assert_eq!(report["redirect"]["iss"], server.base_url());
    assert_eq!(
        report["redirect"]["state"],
        "state-browser-remote-0123456789"
    );
    assert_eq!(report["tools"], json!(["whoami"]), "only the kept tool");
    assert_eq!(report["whoami"], "ada <ada@example.com> from default");
    let stats = idp.get("/__test/stats");
    assert_eq!(stats["logins"], 1, "{stats}");
}
