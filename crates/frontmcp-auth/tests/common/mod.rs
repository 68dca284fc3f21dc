//! Shared helpers: load a configuration from a base layer, a file and an environment.

#![allow(dead_code)]

pub mod apps;
pub mod federation;
pub mod fuzzed;
pub mod idp;
pub mod local;
pub mod mcp;
pub mod remote;

use std::io::Write;

use frontmcp_auth::ServerDefinition;
use frontmcp_auth::config::{ConfigError, Environment, FileChoice, LoadedConfig};
use frontmcp_auth::rules::Rule;

/// A file in a fresh temporary directory (kept alive by the returned guard).
pub fn write_file(name: &str, text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    let mut file = std::fs::File::create(&path).expect("create");
    file.write_all(text.as_bytes()).expect("write");
    (dir, path)
}

/// Loads `definition` with a TOML file holding `toml` (none when empty) and exactly `env`.
pub fn load_toml(
    definition: &ServerDefinition,
    toml: &str,
    env: &[(&str, &str)],
) -> Result<LoadedConfig, ConfigError> {
    load_file(definition, "frontmcp.toml", toml, env)
}

/// Loads `definition` with a file named `name` holding `text` (none when empty) and `env`.
pub fn load_file(
    definition: &ServerDefinition,
    name: &str,
    text: &str,
    env: &[(&str, &str)],
) -> Result<LoadedConfig, ConfigError> {
    let env = Environment::from_pairs(env.iter().copied());
    if text.is_empty() {
        return definition.loader().env(env).file(FileChoice::None).load();
    }
    let (_dir, path) = write_file(name, text);
    definition
        .loader()
        .env(env)
        .file(FileChoice::Path(path))
        .load()
}

/// A definition with no base configuration, as a server without the attribute has.
pub fn bare() -> ServerDefinition {
    ServerDefinition::new("Server")
}

/// Asserts that `result` failed with a violation of `rule` whose message contains `message`,
/// and returns the error's text.
pub fn assert_violation(
    result: Result<LoadedConfig, ConfigError>,
    rule: Rule,
    message: &str,
) -> String {
    let err = match result {
        Ok(loaded) => panic!("expected {rule}, but loaded {:#?}", loaded.config),
        Err(err) => err,
    };
    let found = err
        .problems()
        .iter()
        .any(|p| p.violation.rule == rule && p.violation.message.contains(message));
    assert!(found, "expected {rule} with {message:?} in:\n{err}");
    err.to_string()
}

/// A log writer whose lines a test reads back.
#[derive(Clone, Default)]
pub struct Captured(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut buffer) = self.0.lock() {
            buffer.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().expect("lock").clone()).expect("utf8")
    }
}

/// A store of its own over the test's Redis server (one connection, as another process would
/// have), keys under `prefix`, expiries following `clock`.
pub fn redis_store(
    redis: &frontmcp_auth_testkit::RedisServer,
    prefix: &str,
    clock: frontmcp_auth::Clock,
) -> std::sync::Arc<dyn frontmcp_auth::store::Store> {
    let options = frontmcp_auth::store::RedisOptions {
        host: "127.0.0.1".into(),
        port: redis.port,
        password: None,
        db: 0,
        tls: false,
        key_prefix: prefix.to_owned(),
        cluster: Vec::new(),
    };
    std::sync::Arc::new(frontmcp_auth::store::RedisStore::connect(&options, clock).expect("redis"))
}

/// Why the router for `definition` (no file, no environment) cannot be built.
pub fn start_up_error(definition: &ServerDefinition) -> String {
    let loaded = definition
        .loader()
        .env(Environment::default())
        .file(FileChoice::None)
        .load()
        .expect("a valid configuration");
    frontmcp_auth::http::build_router(
        &loaded,
        definition,
        frontmcp_auth::http::RouterOptions::default(),
    )
    .expect_err("refused at start-up")
    .to_string()
}

/// Serves `router` on `listener` (loopback) until the returned sender is dropped or fired.
pub fn serve_until_dropped(
    listener: tokio::net::TcpListener,
    router: axum::Router,
) -> tokio::sync::oneshot::Sender<()> {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await;
    });
    tx
}
