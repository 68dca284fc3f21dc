//! The demo login says what it is, signs anyone in as the email typed, and the production
//! profile refuses to start with it.

use std::process::Command;

use frontmcp_auth_testkit::ExampleServer;
use frontmcp_auth_testkit::flow::{Flow, authorize_url};

const BINARY: &str = env!("CARGO_BIN_EXE_example-demo-login");

#[tokio::test]
async fn the_page_says_it_is_a_demo_and_believes_the_typed_email() {
    let server = ExampleServer::start(BINARY, &[]);
    let base = server.base_url();
    let flow = Flow::default();
    let client_id = flow.register(&base).await;
    let page = reqwest::get(authorize_url(&base, &client_id))
        .await
        .expect("page")
        .text()
        .await
        .expect("text");
    assert!(page.contains("Development sign-in"), "{page}");
    assert!(page.contains("name=\"email\""));
    assert!(!page.contains("name=\"password\""));
    let code = flow
        .authorize(&base, &client_id, "anyone@example.com")
        .await;
    let tokens = flow.exchange(&base, &client_id, &code).await;
    let who = flow
        .whoami(
            &server.mcp_url,
            tokens["access_token"].as_str().expect("token"),
        )
        .await
        .expect("whoami");
    assert!(who.contains("anyone@example.com"), "{who}");
}

#[test]
fn the_production_profile_refuses_it() {
    let output = Command::new(BINARY)
        .args(["config", "check"])
        .current_dir(std::env::temp_dir())
        .env_clear()
        .env("FRONTMCP_ENV", "production")
        .env("FRONTMCP_PUBLIC_URL", "https://mcp.example.com")
        .env("JWT_SECRET", "a-secret-that-is-long-enough-0123456789")
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(err.contains("[production_demo_login]"), "{err}");
}
