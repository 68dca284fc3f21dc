//! The runtime's error type.

use crate::config::ConfigError;

/// Why a server could not start or serve.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration was refused; every violation is listed with its source.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The configuration is valid, but this version cannot serve it yet.
    #[error(
        "the configuration is valid, but this version of frontmcp-auth does not serve it yet: {what}"
    )]
    NotYetServed {
        /// What is missing.
        what: String,
    },
    /// The configuration passes the rulebook but does not fit the server it configures (a
    /// per-tool scope naming no tool, a provider that cannot be resolved).
    #[error("the configuration does not fit this server: {what}")]
    Unservable {
        /// What does not fit.
        what: String,
    },
    /// The signing key could not be loaded or generated.
    #[error("signing key: {0}")]
    Keys(#[from] crate::token::KeyError),
    /// The configured token storage cannot be opened or reached.
    #[error(transparent)]
    Storage(#[from] crate::store::StoreError),
    /// The login step cannot be set up (authenticator, users file, passkeys).
    #[error(transparent)]
    Login(#[from] crate::login::LoginSetupError),
    /// Page templates (`ui.templates_dir`) that do not parse or render; every problem listed.
    #[error("the page templates are broken:\n  - {}", .0.join("\n  - "))]
    Templates(Vec<String>),
    /// An I/O failure (binding the listener, reading a file).
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}
