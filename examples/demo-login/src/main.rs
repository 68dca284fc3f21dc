//! Run with
//!
//! ```sh
//! cargo run -p example-demo-login       # serve on http://127.0.0.1:3002/mcp
//! ```
//!
//! **The demo login, for development only.** Local mode without an authenticator: the login
//! page asks for an email and a name and believes them, so whoever types `ada@example.com`
//! becomes Ada. The page says so, and the production profile (`FRONTMCP_ENV=production`)
//! refuses to start with it. For real users see `examples/local` (the password directory and
//! passkeys) or `docs/login.md` (an authenticator of your own).

use std::process::ExitCode;

use frontmcp_auth::prelude::*;
use rmcp::{tool, tool_router};

/// One tool that says who the token belongs to.
#[derive(Debug, Clone, Default)]
struct WhoAmIApp;

#[tool_router(server_handler)]
impl WhoAmIApp {
    #[tool(description = "Who is signed in")]
    async fn whoami(&self, auth: AuthContext) -> String {
        auth.subject
    }
}

/// The demo-login server.
#[frontmcp(
    info(name = "DemoLoginExample", version = "0.1.0"),
    apps(WhoAmIApp),
    http(port = 3002),
    auth(mode = "local", login(authenticator = "demo"))
)]
struct Server;

#[tokio::main]
async fn main() -> ExitCode {
    frontmcp_auth::cli::run(Server::definition()).await
}
