//! The README's main job: its configuration is valid and prints with sources.

use std::process::Command;

const BINARY: &str = env!("CARGO_BIN_EXE_example-local");

fn run(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(BINARY)
        .args(args)
        .current_dir(std::env::temp_dir())
        .env_clear()
        .env("JWT_SECRET", "an-example-secret-that-is-long-enough")
        .output()
        .expect("runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn config_check_passes() {
    let (ok, out, err) = run(&["config", "check"]);
    assert!(ok, "{err}");
    assert!(out.contains("configuration of `Server` is valid"), "{out}");
}

#[test]
fn config_print_names_sources_and_redacts_the_secret() {
    let (ok, out, err) = run(&["config", "print"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("auth.token_storage.sqlite.path = \"frontmcp-auth.db\""),
        "{out}"
    );
    assert!(
        out.contains("auth.local.jwt_secret = \"[redacted]\""),
        "{out}"
    );
    assert!(!out.contains("an-example-secret"), "{out}");
}

#[test]
fn with_no_users_yet_the_server_says_how_to_add_the_first() {
    let server = frontmcp_auth_testkit::ExampleServer::start(
        BINARY,
        &[("JWT_SECRET", "an-example-secret-that-is-long-enough")],
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut printed = Vec::new();
    while std::time::Instant::now() < deadline
        && !printed.iter().any(|l: &String| l.contains("NO USERS YET"))
    {
        printed.extend(server.process.drain());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let notice = printed
        .iter()
        .find(|l| l.contains("NO USERS YET"))
        .unwrap_or_else(|| panic!("no notice in {printed:#?}"));
    assert!(
        notice.contains("example-local users add <username>"),
        "{notice}"
    );
}
