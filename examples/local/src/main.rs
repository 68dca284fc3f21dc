//! Run with
//!
//! ```sh
//! cargo run -p example-local                    # serve
//! cargo run -p example-local -- config check    # validate the layered configuration
//! cargo run -p example-local -- config print    # effective values and where each came from
//! ```
//!
//! A server with its own OAuth 2.1 authorization server (local mode): a login page, PKCE,
//! rotating refresh tokens, and tokens stored in an embedded SQLite file that survives restarts.
//! Set `JWT_SECRET` (32 bytes or more) to keep tokens valid across restarts.

use std::process::ExitCode;

use frontmcp_auth::prelude::*;

/// The example server.
#[frontmcp(
    info(name = "LocalExample", version = "0.1.0"),
    http(port = 3000),
    auth(
        mode = "local",
        session_mode = "stateful",
        token_storage(sqlite(path = "frontmcp-local.db")),
        refresh(access_token_ttl = 900, refresh_token_ttl = 604800),
        require_email = true,
    )
)]
struct Server;

#[tokio::main]
async fn main() -> ExitCode {
    frontmcp_auth::cli::run(Server::definition()).await
}
