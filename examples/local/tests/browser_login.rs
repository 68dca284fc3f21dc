//! Debian Chromium signs in through the README's main job the way a person would, for the
//! official TypeScript MCP client: first with a password (then registering a passkey on the page
//! that follows, a Chrome DevTools virtual authenticator standing in for the device), then with
//! that passkey alone. After each sign-in the client calls `whoami` as that user. Screenshots of
//! the login page and both passkey pages are saved to `target/screenshots/login/`.

use std::process::Command;
use std::time::Duration;

use frontmcp_auth_testkit::{ExampleServer, Screenshots, TEST_PASSWORD, free_port, run_node};

const BINARY: &str = env!("CARGO_BIN_EXE_example-local");

#[test]
fn a_browser_signs_in_with_a_password_then_with_a_passkey_and_the_sdk_calls_tools_as_that_user() {
    let port = free_port().to_string();
    let public_url = format!("http://localhost:{port}");
    let env = [
        ("JWT_SECRET", "an-example-secret-that-is-long-enough"),
        ("FRONTMCP_HTTP__PORT", port.as_str()),
        ("FRONTMCP_HTTP__PUBLIC_URL", public_url.as_str()),
        ("FRONTMCP_AUTH__LOGIN__PASSKEYS", "true"),
    ];
    let server = ExampleServer::start_with_users(BINARY, &env, &["ada@example.com"]);
    let shots = Screenshots::prepare(
        "login",
        &["login.png", "passkey-register.png", "passkey-signin.png"],
    );
    let run = run_node(
        "browser-login.mjs",
        &[
            &format!("{public_url}/mcp"),
            &shots.arg(),
            "ada@example.com",
            TEST_PASSWORD,
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
    assert_eq!(report["offerTitle"], "Add a passkey", "{report:#}");
    assert_eq!(report["signInTitle"], "Use your passkey", "{report:#}");
    let runs = report["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 2, "{report:#}");
    for run in runs {
        let whoami = run["whoami"].as_str().unwrap_or_default();
        assert!(
            whoami.starts_with("ada@example.com <ada@example.com> via mcp_"),
            "{} sign-in: {whoami}",
            run["how"]
        );
    }
    assert_ne!(runs[0]["clientId"], runs[1]["clientId"], "two clients");
    let credentials = report["credentials"].as_array().expect("credentials");
    assert_eq!(credentials.len(), 1, "one passkey registered: {report:#}");
    assert_eq!(credentials[0]["rpId"], "localhost");
    assert!(
        credentials[0]["signCount"].as_u64() >= Some(1),
        "it signed: {report:#}"
    );
    drop(server);
}

#[test]
fn the_users_command_adds_lists_and_removes_users_without_printing_a_password() {
    let dir = tempfile_dir();
    let run = |args: &[&str], stdin: &str| {
        use std::io::Write;
        let mut child = Command::new(BINARY)
            .args(args)
            .current_dir(&dir)
            .env_clear()
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("runs");
        if let Some(mut input) = child.stdin.take() {
            let _ = writeln!(input, "{stdin}");
        }
        let output = child.wait_with_output().expect("ran");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned()
                + &String::from_utf8_lossy(&output.stderr),
        )
    };
    let (ok, out) = run(
        &["users", "add", "Grace@Example.com", "--name", "Grace"],
        "short",
    );
    assert!(!ok && out.contains("at least 8 characters"), "{out}");
    let (ok, out) = run(
        &["users", "add", "Grace@Example.com", "--name", "Grace"],
        "a long enough password",
    );
    assert!(ok, "{out}");
    assert!(out.contains("added `grace@example.com`"), "{out}");
    let (ok, out) = run(&["users", "list"], "");
    assert!(ok, "{out}");
    assert!(out.contains("grace@example.com\tsubject=grace@example.com\temail=grace@example.com\tname=Grace\tpassword=set"), "{out}");
    assert!(
        !out.contains("a long enough password") && !out.contains("$argon2id"),
        "{out}"
    );
    let database = std::fs::read(dir.join("frontmcp-auth.db")).expect("db");
    assert!(
        !String::from_utf8_lossy(&database).contains("a long enough password"),
        "only the hash is stored"
    );
    let (ok, out) = run(&["users", "remove", "grace@example.com"], "");
    assert!(ok, "{out}");
    let (ok, out) = run(&["users", "remove", "grace@example.com"], "");
    assert!(!ok && out.contains("no user"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("example-local-users-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}
