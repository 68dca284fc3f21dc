//! Run with
//!
//! ```sh
//! FRONTMCP_AUTH__PUBLIC_ACCESS__RATE_LIMIT=6000 cargo run -p example-conformance
//! npx @modelcontextprotocol/conformance server --url http://127.0.0.1:3000/mcp --suite all
//! ```
//!
//! (The suite sends a few hundred requests; public mode's default limit is 60 per minute per IP.)
//!
//! A public server with every fixture of the MCP conformance suite's server scenarios, served by
//! two apps composed into one server: [`tools::ConformanceTools`] (tools, logging, progress,
//! sampling, elicitation) and [`content::ConformanceContent`] (resources, templates,
//! subscriptions with update notifications, prompts, completions). It runs behind the same guard, host and origin checks as
//! every server; `FRONTMCP_AUTH__MODE=local` serves the same apps behind local-mode OAuth.

use std::process::ExitCode;

use frontmcp_auth::prelude::*;

mod content;
mod tools;

use content::ConformanceContent;
use tools::ConformanceTools;

/// The example server.
#[frontmcp(
    info(name = "ConformanceExample", version = "0.1.0"),
    apps(ConformanceTools, ConformanceContent),
    auth(mode = "public")
)]
struct Server;

#[tokio::main]
async fn main() -> ExitCode {
    frontmcp_auth::cli::run(Server::definition()).await
}
