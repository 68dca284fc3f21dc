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
//! < `FRONTMCP_*` env < the seeds' variables). See `docs/configuration.md` for every key.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `macros` | yes | the `#[frontmcp(...)]` attribute |

pub mod audit;
pub mod cli;
mod clock;
pub mod config;
mod definition;
mod error;
pub mod guard;
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

/// The `#[frontmcp(...)]` attribute.
#[cfg(feature = "macros")]
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

/// The rmcp SDK this crate is built on, for writing apps (`rmcp::tool_router`, `rmcp::tool`).
pub use rmcp;
