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
