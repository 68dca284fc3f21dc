//! OAuth 2.1 authentication for MCP servers, after FrontMCP's design: `public`, `transparent`,
//! `local` and `remote` modes.
//!
//! # Quick start
//!
//! ```no_run
//! use frontmcp_auth::prelude::*;
//!
//! #[frontmcp(
//!     info(name = "ProductionServer", version = "1.0.0"),
//!     auth(
//!         mode = "local",
//!         consent(enabled = true),
//!         token_storage(sqlite(path = "auth.db")),
//!         refresh(access_token_ttl = 900, refresh_token_ttl = 604800),
//!     ),
//! )]
//! struct Server;
//!
//! #[tokio::main]
//! async fn main() -> Result<(), frontmcp_auth::Error> {
//!     Server::serve().await
//! }
//! ```
//!
//! The attribute is checked at compile time by the rulebook of [`frontmcp_auth_config`]; at
//! start-up the same rules run again on the layered configuration (attribute < `frontmcp.toml`
//! < `FRONTMCP_*` env < the seeds' variables). [`guide::configuration`] lists every key, and
//! the other chapters of [`guide`] explain each mode.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `macros` | yes | the `#[frontmcp(...)]` attribute (without it, build a [`ServerDefinition`] in code) |
//! | `sqlite` | yes | `token_storage(sqlite(...))`: `store::SqliteStore`, the embedded store (bundled SQLite) |
//! | `passkeys` | yes | `login(passkeys = true)`: WebAuthn sign-in (`webauthn-rs`, which links OpenSSL) |
//! | `redis` | no | `token_storage(redis(...))`: `store::RedisStore`, shared by several instances |
//!
//! With `default-features = false` the memory store and the password, demo and custom logins
//! remain. A configuration that names a backend or option whose feature is off stops start-up
//! with `feature_not_compiled`, naming the feature ([`config::COMPILED_FEATURES`] lists this
//! build's).
//!
//! Without the attribute, a server is a [`ServerDefinition`] built in code:
//!
//! ```no_run
//! use frontmcp_auth::ServerDefinition;
//! use rmcp::{tool, tool_router};
//!
//! #[derive(Debug, Clone, Default)]
//! struct NotesApp;
//!
//! #[tool_router(server_handler)]
//! impl NotesApp {
//!     #[tool(description = "Who is signed in")]
//!     async fn whoami(&self, auth: frontmcp_auth::AuthContext) -> String {
//!         auth.subject
//!     }
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::process::ExitCode {
//!     let definition = ServerDefinition::new("NotesServer")
//!         .app::<NotesApp>("notes")
//!         .with_base(serde_json::json!({
//!             "auth": { "mode": "local", "token_storage": "memory" },
//!         }));
//!     // `serve`, `users add`, `config check`, `config print` and `check --production`.
//!     frontmcp_auth::cli::run(definition).await
//! }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod audit;
pub mod cli;
mod clock;
pub mod config;
mod definition;
mod error;
pub mod guard;
pub mod guide;
pub mod http;
pub mod logging;
pub mod login;
pub mod mcp;
pub mod metrics;
pub mod oauth;
pub mod rate_limit;
pub mod secrets;
mod server;
pub mod store;
pub mod token;
mod ui;
pub mod upstream;
pub mod verify;

pub use clock::Clock;
pub use definition::{AppDeclaration, ServerDefinition};
pub use error::Error;
pub use frontmcp_auth_config as rules;
pub use guard::AuthContext;
pub use server::{FrontMcpServer, router, serve, serve_router};

/// The `#[frontmcp(...)]` attribute. Needs the `macros` feature (on by default).
#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
pub use frontmcp_auth_macros::frontmcp;

/// What a server module needs: `use frontmcp_auth::prelude::*;`.
pub mod prelude {
    #[cfg(feature = "macros")]
    pub use crate::frontmcp;
    pub use crate::{AuthContext, FrontMcpServer, ServerDefinition};
}

/// Paths used by the code `#[frontmcp(...)]` generates. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::definition::ServerDefinition;
    pub use serde_json;
}

/// The README's examples, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// The rmcp SDK this crate is built on, for writing apps (`rmcp::tool_router`, `rmcp::tool`).
pub use rmcp;
