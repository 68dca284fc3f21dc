//! Run with
//!
//! ```sh
//! cargo run -p example-public
//! FRONTMCP_AUTH__PUBLIC_ACCESS__TOOLS=echo cargo run -p example-public   # only `echo` without a token
//! ```
//!
//! A public MCP server: no login. Every client gets an anonymous session (`anon:<uuid>`, the
//! `anonymous` scope) that lasts for its MCP session; requests are limited to 60 per minute per
//! client IP.

use std::process::ExitCode;

use frontmcp_auth::prelude::*;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

/// Arguments of `echo`.
#[derive(Debug, Deserialize, JsonSchema)]
struct EchoArgs {
    /// The text to send back.
    text: String,
}

/// Arguments of `add`.
#[derive(Debug, Deserialize, JsonSchema)]
struct AddArgs {
    /// First addend.
    a: i64,
    /// Second addend.
    b: i64,
}

/// A few tools anyone may call.
#[derive(Debug, Clone, Default)]
struct GreetingApp;

#[tool_router(server_handler)]
impl GreetingApp {
    #[tool(description = "Send the text back")]
    async fn echo(&self, Parameters(EchoArgs { text }): Parameters<EchoArgs>) -> String {
        text
    }

    #[tool(description = "Add two integers")]
    async fn add(&self, Parameters(AddArgs { a, b }): Parameters<AddArgs>) -> String {
        a.saturating_add(b).to_string()
    }

    #[tool(description = "Who is calling: the subject and whether it is anonymous")]
    async fn whoami(&self, auth: AuthContext) -> String {
        format!("{} (anonymous: {})", auth.subject, auth.anonymous)
    }
}

/// The example server.
#[frontmcp(
    info(name = "PublicExample", version = "0.1.0"),
    apps(GreetingApp),
    auth(
        mode = "public",
        session_ttl = 3600,
        public_access(tools = "all", rate_limit = 60)
    )
)]
struct Server;

#[tokio::main]
async fn main() -> ExitCode {
    frontmcp_auth::cli::run(Server::definition()).await
}
