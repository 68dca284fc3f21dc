//! Shared helpers: load a configuration from a base layer, a file and an environment.

#![allow(dead_code)]

pub mod apps;
pub mod idp;
pub mod local;
pub mod mcp;

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
