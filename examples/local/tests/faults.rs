//! Faults (issue 19), against the example server's own binary:
//!
//! - its SQLite file on a full disk (a 4 MiB tmpfs, filled): writes answer 503, never 500, and
//!   once space is freed the last refresh token handed out still works;
//! - its SQLite file on a read-only mount: the server serves what needs no write, refreshes
//!   answer 503, and once the mount is writable again they succeed, without a restart;
//! - the server killed (SIGKILL) while clients refresh, on SQLite and on Redis: after a restart
//!   every family goes on from the last token its client received (or the one in flight), and
//!   none forks: an older token never starts a second chain.
//!
//! The mounts need root (the CI machine runs as root); each is undone when its test ends.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use frontmcp_auth_testkit::flow::{Flow, SECRET};
use frontmcp_auth_testkit::{ExampleServer, RedisServer};
use serde_json::Value;

const BINARY: &str = env!("CARGO_BIN_EXE_example-local");

/// A stable public URL, so the issuer and audience do not change with the port.
const PUBLIC_URL: &str = "http://127.0.0.1";

/// A mount made by the test, undone (lazily) when dropped.
struct Mount(PathBuf);

impl Mount {
    fn run(args: &[&str]) {
        let output = Command::new("mount")
            .args(args)
            .output()
            .expect("mount runs");
        assert!(
            output.status.success(),
            "mount {args:?} (the fault tests need root): {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// A tmpfs of `size` at `path`.
    fn tmpfs(path: &Path, size: &str) -> Mount {
        Self::run(&[
            "-t",
            "tmpfs",
            "-o",
            &format!("size={size}"),
            "tmpfs",
            &path.display().to_string(),
        ]);
        Mount(path.to_owned())
    }

    /// `path` bound onto itself, read-only.
    fn read_only(path: &Path) -> Mount {
        let text = path.display().to_string();
        Self::run(&["--bind", &text, &text]);
        let mount = Mount(path.to_owned());
        Self::run(&["-o", "remount,bind,ro", &text]);
        mount
    }

    fn writable(&self) {
        Self::run(&["-o", "remount,bind,rw", &self.0.display().to_string()]);
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn text(value: &Value, name: &str) -> String {
    value[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {value}"))
        .to_owned()
}

fn sqlite_env(path: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("JWT_SECRET", SECRET.to_owned()),
        ("FRONTMCP_PUBLIC_URL", PUBLIC_URL.to_owned()),
        (
            "FRONTMCP_AUTH__TOKEN_STORAGE__SQLITE__PATH",
            path.display().to_string(),
        ),
        // A retry after a restart may come a few seconds after the rotation it repeats.
        (
            "FRONTMCP_AUTH__REFRESH__REUSE_GRACE_SECONDS",
            "60".to_owned(),
        ),
    ]
}

fn borrowed<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Signs in once at `client_id`: the token response.
async fn sign_in(flow: &Flow, base: &str, client_id: &str) -> Value {
    let code = flow.authorize(base, client_id, "ada@example.com").await;
    flow.exchange(base, client_id, &code).await
}

#[tokio::test]
async fn a_sqlite_file_on_a_full_disk_answers_503_and_recovers() {
    let dir = tempfile::tempdir().expect("dir");
    let disk = dir.path().join("disk");
    std::fs::create_dir(&disk).expect("mount point");
    let _mount = Mount::tmpfs(&disk, "4m");
    let env = sqlite_env(&disk.join("auth.db"));
    let server = ExampleServer::start_with_users(BINARY, &borrowed(&env), &["ada@example.com"]);
    let (flow, base) = (Flow::default(), server.base_url());
    let client_id = flow.register(&base).await;
    let mut refresh = text(&sign_in(&flow, &base, &client_id).await, "refresh_token");
    // Codes obtained while there is room; each exchange later writes a new family.
    let mut codes = Vec::new();
    for _ in 0..40 {
        codes.push(flow.authorize(&base, &client_id, "ada@example.com").await);
    }

    // Fill the disk.
    let filler = disk.join("fill");
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&filler).expect("filler");
        let chunk = vec![0u8; 64 * 1024];
        while file.write_all(&chunk).and_then(|()| file.flush()).is_ok() {}
    }

    let mut refused = 0;
    for code in &codes {
        let exchange = flow
            .token(
                &base,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", code),
                    ("redirect_uri", frontmcp_auth_testkit::flow::REDIRECT),
                    ("code_verifier", frontmcp_auth_testkit::flow::VERIFIER),
                    ("client_id", &client_id),
                ],
            )
            .await;
        let rotated = flow.refresh(&base, &client_id, &refresh).await;
        for reply in [&exchange, &rotated] {
            assert!(
                [200, 503].contains(&reply.status),
                "a full disk answers 503, never {}: {}",
                reply.status,
                reply.text
            );
        }
        if rotated.status == 200 {
            refresh = text(&rotated.json(), "refresh_token");
        }
        refused += usize::from(exchange.status == 503) + usize::from(rotated.status == 503);
        if refused >= 4 {
            break;
        }
    }
    assert!(refused > 0, "writes on a full disk were refused");

    std::fs::remove_file(&filler).expect("free the disk");
    let rotated = flow.refresh(&base, &client_id, &refresh).await;
    assert_eq!(
        rotated.status, 200,
        "the last refresh token handed out still works: {}",
        rotated.text
    );
    let again = sign_in(&flow, &base, &client_id).await;
    assert!(again["access_token"].is_string(), "logins work again");
}

#[tokio::test]
async fn a_sqlite_file_made_read_only_answers_503_and_recovers_without_a_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("data dir");
    let env = sqlite_env(&data.join("auth.db"));
    let server = ExampleServer::start_with_users(BINARY, &borrowed(&env), &["ada@example.com"]);
    let (flow, base) = (Flow::default(), server.base_url());
    let client_id = flow.register(&base).await;
    let tokens = sign_in(&flow, &base, &client_id).await;
    let (access, refresh) = (
        text(&tokens, "access_token"),
        text(&tokens, "refresh_token"),
    );
    drop(server);

    let mount = Mount::read_only(&data);
    let server = ExampleServer::start(BINARY, &borrowed(&env));
    let base = server.base_url();
    assert!(
        flow.whoami(&server.mcp_url, &access)
            .await
            .expect("a tool call needs no write")
            .contains("ada@example.com")
    );
    for _ in 0..2 {
        let refused = flow.refresh(&base, &client_id, &refresh).await;
        assert_eq!(refused.status, 503, "{}", refused.text);
        assert_eq!(refused.json()["error"], "temporarily_unavailable");
    }

    mount.writable();
    let rotated = flow.refresh(&base, &client_id, &refresh).await;
    assert_eq!(
        rotated.status, 200,
        "writable again, without a restart: {}",
        rotated.text
    );
}

/// Clients refresh `families` in loops, each keeping the last token it received; the server
/// is killed under them and started again; every family must go on, and none fork.
async fn killed_mid_refresh(env: &[(&'static str, &str)], families: usize) {
    let flow = Flow::default();
    let server = ExampleServer::start_with_users(BINARY, env, &["ada@example.com"]);
    let base = server.base_url();
    let client_id = flow.register(&base).await;
    let mut latest = Vec::new();
    for _ in 0..families {
        latest.push(text(
            &sign_in(&flow, &base, &client_id).await,
            "refresh_token",
        ));
    }
    let latest = Arc::new(Mutex::new(latest));
    let loops: Vec<_> = (0..families)
        .map(|i| {
            let (flow, base, client_id, latest) = (
                flow.clone(),
                base.clone(),
                client_id.clone(),
                latest.clone(),
            );
            tokio::spawn(async move {
                let mut done = 0u32;
                loop {
                    let token = latest.lock().expect("tokens")[i].clone();
                    let reply = flow.refresh(&base, &client_id, &token).await;
                    if reply.status != 200 {
                        return (done, reply.status);
                    }
                    latest.lock().expect("tokens")[i] = text(&reply.json(), "refresh_token");
                    done += 1;
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(700)).await;
    drop(server); // SIGKILL
    let mut rotations = 0;
    for task in loops {
        let (done, status) = task.await.expect("loop");
        assert_eq!(status, 0, "the loops end at the kill, not at a refusal");
        rotations += done;
    }
    assert!(rotations > 0, "refreshes ran before the kill");

    let server = ExampleServer::start(BINARY, env);
    let base = server.base_url();
    let latest = latest.lock().expect("tokens").clone();
    for (i, last) in latest.iter().enumerate() {
        let first = flow.refresh(&base, &client_id, last).await;
        assert_eq!(
            first.status, 200,
            "family {i} goes on from its last token: {}",
            first.text
        );
        let next = text(&first.json(), "refresh_token");
        let second = flow.refresh(&base, &client_id, &next).await;
        assert_eq!(second.status, 200, "family {i}: {}", second.text);
        let fork = flow.refresh(&base, &client_id, last).await;
        assert_eq!(
            fork.status, 400,
            "family {i}: an older token starts no second chain: {}",
            fork.text
        );
        assert_eq!(fork.json()["error"], "invalid_grant");
    }
}

#[tokio::test]
async fn a_server_killed_mid_refresh_on_sqlite_loses_no_family_and_forks_none() {
    let dir = tempfile::tempdir().expect("dir");
    let env = sqlite_env(&dir.path().join("auth.db"));
    killed_mid_refresh(&borrowed(&env), 6).await;
}

#[tokio::test]
async fn a_server_killed_mid_refresh_on_redis_loses_no_family_and_forks_none() {
    let redis = RedisServer::start();
    let port = redis.port.to_string();
    let env = [
        ("JWT_SECRET", SECRET),
        ("FRONTMCP_PUBLIC_URL", PUBLIC_URL),
        ("FRONTMCP_AUTH__TOKEN_STORAGE__REDIS__KEY_PREFIX", "faults:"),
        ("REDIS_HOST", "127.0.0.1"),
        ("REDIS_PORT", port.as_str()),
        ("FRONTMCP_AUTH__REFRESH__REUSE_GRACE_SECONDS", "60"),
    ];
    killed_mid_refresh(&env, 6).await;
}
