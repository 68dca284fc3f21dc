//! Run with
//!
//! ```sh
//! cargo run -p example-conformance
//! npx @modelcontextprotocol/conformance server --url http://127.0.0.1:3000/mcp
//! ```
//!
//! A public server with the tools the MCP conformance scenarios call (`test_simple_text`,
//! `test_error_handling`), behind the same guard, host and origin checks as every server.

use std::process::ExitCode;

use frontmcp_auth::prelude::*;
use rmcp::model::{CallToolResult, ContentBlock};
use rmcp::{tool, tool_router};

/// The conformance scenarios' tools.
#[derive(Debug, Clone, Default)]
struct ConformanceApp;

#[tool_router(server_handler)]
impl ConformanceApp {
    #[tool(description = "Returns a simple text result")]
    async fn test_simple_text(&self) -> String {
        "This is a simple text response for testing.".to_owned()
    }

    #[tool(description = "Returns a tool error (isError: true)")]
    async fn test_error_handling(&self) -> CallToolResult {
        CallToolResult::error(vec![ContentBlock::text(
            "This tool intentionally returns an error for testing",
        )])
    }
}

/// The example server.
#[frontmcp(
    info(name = "ConformanceExample", version = "0.1.0"),
    apps(ConformanceApp),
    auth(mode = "public", public_access(rate_limit = 600))
)]
struct Server;

#[tokio::main]
async fn main() -> ExitCode {
    frontmcp_auth::cli::run(Server::definition()).await
}
