//! Run with
//!
//! ```sh
//! # any OpenID provider: its issuer URL, and this server's client at it
//! IDP_PROVIDER_URL=https://accounts.google.com IDP_CLIENT_ID=... IDP_CLIENT_SECRET=... \
//!     cargo run -p example-remote
//! # or a preset by name: google, github, entra, auth0, okta, keycloak, cognito
//! IDP_PROVIDER_URL=github IDP_CLIENT_ID=... IDP_CLIENT_SECRET=... cargo run -p example-remote
//! ```
//!
//! An MCP server in remote mode: MCP clients talk OAuth 2.1 to this server (discovery,
//! dynamic registration, PKCE), users sign in at the upstream identity provider, and this
//! server issues its own tokens. The upstream tokens stay on the server, sealed in the vault
//! (set `FRONTMCP_AUTH__VAULT_KEY` to 32+ random characters so they survive a restart), and
//! the `idp_profile` tool calls the provider's API with the user's upstream access token.
//! Register `http://127.0.0.1:3000/oauth/provider/default/callback` (or your public URL's) as
//! the redirect URI at the provider. `docs/remote-mode.md` has every option and preset.

use std::process::ExitCode;
use std::time::Duration;

use frontmcp_auth::prelude::*;
use rmcp::{tool, tool_router};

/// Tools that read who signed in, here and at the identity provider.
#[derive(Debug, Clone, Default)]
struct ProfileApp;

#[tool_router(server_handler)]
impl ProfileApp {
    #[tool(description = "Who is signed in: subject, email and identity provider")]
    async fn whoami(&self, auth: AuthContext) -> String {
        let text = |name: &str| {
            auth.claim(name)
                .and_then(|v| v.as_str())
                .unwrap_or("none")
                .to_owned()
        };
        format!("{} <{}> from {}", auth.subject, text("email"), text("idp"))
    }

    #[tool(
        description = "The caller's profile at the identity provider, read with their upstream token"
    )]
    async fn idp_profile(&self, auth: AuthContext) -> String {
        let token = match auth.upstream_token("default").await {
            Ok(token) => token,
            Err(e) => return format!("error: {e}"),
        };
        let url = match auth.upstream_endpoints("default").await {
            Ok(endpoints) => match endpoints.userinfo.clone() {
                Some(url) => url,
                None => return String::from("error: the provider has no userinfo endpoint"),
            },
            Err(e) => return format!("error: {e}"),
        };
        let answer = reqwest::Client::new()
            .get(url)
            .bearer_auth(&token.access_token)
            .header("accept", "application/json")
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        match answer {
            Ok(response) => {
                let status = response.status().as_u16();
                let body = response.text().await.unwrap_or_default();
                format!("{status} {}", body.chars().take(4000).collect::<String>())
            }
            Err(e) => format!("error: {}", e.without_url()),
        }
    }
}

/// The example server.
#[frontmcp(
    info(name = "RemoteExample", version = "0.1.0"),
    apps(ProfileApp),
    http(port = 3000),
    auth(
        mode = "remote",
        session_mode = "stateful",
        provider = env("IDP_PROVIDER_URL"),
        client_id = env("IDP_CLIENT_ID"),
        client_secret = env("IDP_CLIENT_SECRET"),
        token_storage(sqlite(path = "frontmcp-auth.db")),
        refresh(access_token_ttl = 900, refresh_token_ttl = 604800),
    )
)]
struct Server;

#[tokio::main]
async fn main() -> ExitCode {
    frontmcp_auth::cli::run(Server::definition()).await
}
