//! A real browser (Debian Chromium driven by playwright-core; `./scripts/test` installs both)
//! signs in, sees the consent screen, selects a subset and finishes the flow; the token's
//! client can then call a selected tool, is refused an unselected one with -32003, and
//! `tools/list` shows the subset. Screenshots of the login and consent pages are saved to
//! `target/screenshots/`.

use std::time::Duration;

use frontmcp_auth_testkit::flow::{Flow, SECRET, authorize_url};
use frontmcp_auth_testkit::{ExampleServer, Screenshots, run_node};
use serde_json::json;

const BINARY: &str = env!("CARGO_BIN_EXE_example-consent");

#[tokio::test]
async fn a_browser_picks_tools_and_the_token_obeys() {
    let server = ExampleServer::start(BINARY, &[("JWT_SECRET", SECRET)]);
    let base = server.base_url();
    let flow = Flow::default();
    let client_id = flow.register(&base).await;

    let shots = Screenshots::prepare("consent", &["login.png", "consent.png"]);
    let url = authorize_url(&base, &client_id);
    let run = run_node(
        "browser-consent.mjs",
        &[&url, &shots.arg(), "ada@example.com", "add_note,list_notes"],
        Duration::from_secs(120),
    );
    assert!(
        run.success,
        "browser run failed:\n{}\n{}",
        run.stdout, run.stderr
    );
    let report = run.report();
    shots.assert_saved();

    assert_eq!(report["title"], "Allow access");
    assert_eq!(report["legends"], json!(["notes_app", "calendar_app"]));
    let offered: Vec<(String, bool)> = report["offered"]
        .as_array()
        .expect("offered")
        .iter()
        .map(|b| {
            (
                b["name"].as_str().unwrap_or_default().to_owned(),
                b["checked"] == true,
            )
        })
        .collect();
    assert_eq!(
        offered,
        [
            ("add_note".to_owned(), false),
            ("delete_notes".to_owned(), false),
            ("list_notes".to_owned(), true),
            ("list_events".to_owned(), true),
        ],
        "every tool but the excluded one, the defaults pre-checked"
    );
    assert_eq!(report["params"]["state"], "state-1");
    let code = report["params"]["code"].as_str().expect("a code came back");

    let tokens = flow.exchange(&base, &client_id, code).await;
    let access = tokens["access_token"].as_str().expect("access");
    let mut mcp = flow.mcp(&server.mcp_url, access).await.expect("session");
    let mut names = mcp.tool_names().await.expect("tools/list");
    names.sort();
    assert_eq!(
        names,
        ["add_note", "list_notes", "whoami"],
        "the subset, plus the excluded tool"
    );
    let saved = mcp
        .call("add_note", json!({"text": "from the browser test"}))
        .await
        .expect("call");
    assert!(
        saved["result"]["content"][0]["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("saved")),
        "{saved}"
    );
    let refused = mcp.call("delete_notes", json!({})).await.expect("call");
    assert_eq!(refused["error"]["code"], -32003, "{refused}");
    assert_eq!(refused["error"]["data"]["tool"], "delete_notes");
}
