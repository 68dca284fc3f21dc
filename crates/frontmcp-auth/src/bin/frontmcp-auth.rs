//! `frontmcp-auth`: check and print a frontmcp-auth configuration from a file and the
//! environment.

use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    frontmcp_auth::cli::run(frontmcp_auth::ServerDefinition::standalone("frontmcp-auth")).await
}
