//! Run with
//!
//! ```sh
//! IDP_PROVIDER_URL=https://tenant.auth0.com IDP_EXPECTED_AUDIENCE=https://mcp.example.com/mcp \
//!     cargo run -p example-transparent
//! ```
//!
//! An MCP server that accepts access tokens (JWTs) from an external identity provider: keys
//! are discovered from the provider's metadata, `iss` and `aud` are checked, and every token
//! must carry the `mcp:read` scope.

use std::process::ExitCode;

use frontmcp_auth::prelude::*;
use rmcp::{tool, tool_router};

/// Tools that read the caller's identity.
#[derive(Debug, Clone, Default)]
struct ProfileApp;

#[tool_router(server_handler)]
impl ProfileApp {
    #[tool(description = "The caller's subject, client and scopes, from the access token")]
    async fn profile(&self, auth: AuthContext) -> String {
        format!(
            "subject={} client={} scopes={}",
            auth.subject,
            auth.client_id.unwrap_or_default(),
            auth.scopes.join(" ")
        )
    }
}

/// The example server.
#[frontmcp(
    info(name = "TransparentExample", version = "0.1.0"),
    apps(ProfileApp),
    auth(
        mode = "transparent",
        provider = env("IDP_PROVIDER_URL"),
        expected_audience = env("IDP_EXPECTED_AUDIENCE"),
        required_scopes = ["mcp:read"],
    ),
)]
struct Server;

#[tokio::main]
async fn main() -> ExitCode {
    frontmcp_auth::cli::run(Server::definition()).await
}
