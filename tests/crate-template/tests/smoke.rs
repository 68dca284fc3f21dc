//! The server this crate builds serves the local flow end to end: registration, sign-in, the
//! code exchange, a tool call and a refresh. With `sqlite`, its state survives a restart; without
//! it, the memory store serves and a configuration naming SQLite stops start-up, naming the
//! feature.

use std::process::Command;

use frontmcp_auth_testkit::ExampleServer;
use frontmcp_auth_testkit::flow::{Flow, SECRET};

const BINARY: &str = env!("CARGO_BIN_EXE_notes-server");

/// Signs in as `email`, calls `whoami`, and returns the client id and the refresh token.
async fn sign_in_and_call(flow: &Flow, server: &ExampleServer, email: &str) -> (String, String) {
    let base = server.base_url();
    let client_id = flow.register(&base).await;
    let code = flow.authorize(&base, &client_id, email).await;
    let tokens = flow.exchange(&base, &client_id, &code).await;
    let access = tokens["access_token"].as_str().expect("access token");
    let who = flow.whoami(&server.mcp_url, access).await.expect("whoami");
    assert!(who.contains(email), "{who}");
    let refresh = tokens["refresh_token"].as_str().expect("refresh token");
    (client_id, refresh.to_owned())
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn the_sqlite_store_serves_and_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("notes-server-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let db = dir.join("notes.db");
    let db_path = db.to_string_lossy().into_owned();
    // A stable public URL: the issuer does not follow the port, which changes at the restart.
    let env = [
        ("JWT_SECRET", SECRET),
        ("FRONTMCP_PUBLIC_URL", "http://127.0.0.1"),
        ("FRONTMCP_AUTH__TOKEN_STORAGE__SQLITE__PATH", db_path.as_str()),
    ];
    let flow = Flow::default();
    let server = ExampleServer::start_with_users(BINARY, &env, &["ada@example.com"]);
    let (client_id, refresh) = sign_in_and_call(&flow, &server, "ada@example.com").await;
    drop(server);
    assert!(db.is_file(), "the SQLite file {db_path} exists");

    let server = ExampleServer::start(BINARY, &env);
    let base = server.base_url();
    let rotated = flow.refresh(&base, &client_id, &refresh).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let code = flow.authorize(&base, &client_id, "ada@example.com").await;
    assert!(!code.is_empty());
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(not(feature = "sqlite"))]
#[tokio::test]
async fn the_memory_store_serves_without_any_feature() {
    let flow = Flow::default();
    let server = ExampleServer::start(BINARY, &[("JWT_SECRET", SECRET)]);
    let (client_id, refresh) = sign_in_and_call(&flow, &server, "ada@example.com").await;
    let rotated = flow.refresh(&server.base_url(), &client_id, &refresh).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
}

#[cfg(not(feature = "sqlite"))]
#[test]
fn a_backend_compiled_out_stops_start_up_naming_its_feature() {
    for (var, value, feature) in [
        ("FRONTMCP_AUTH__TOKEN_STORAGE__SQLITE__PATH", "notes.db", "sqlite"),
        ("FRONTMCP_AUTH__TOKEN_STORAGE__REDIS__HOST", "127.0.0.1", "redis"),
    ] {
        let output = Command::new(BINARY)
            .args(["config", "check"])
            .current_dir(std::env::temp_dir())
            .env_clear()
            .env("JWT_SECRET", SECRET)
            .env(var, value)
            .output()
            .expect("runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!output.status.success(), "{text}");
        assert!(text.contains("[feature_not_compiled]"), "{text}");
        assert!(text.contains(&format!("the `{feature}` feature")), "{text}");
    }
}
