//! Run with
//!
//! ```sh
//! export GITHUB_CLIENT_ID=... GITHUB_CLIENT_SECRET=... SLACK_CLIENT_ID=... SLACK_CLIENT_SECRET=...
//! export FRONTMCP_AUTH__VAULT_KEY=$(openssl rand -base64 32) JWT_SECRET=$(openssl rand -base64 32)
//! cargo run -p example-federation -- users add ada@example.com  # a local user
//! cargo run -p example-federation
//! ```
//!
//! Register `http://127.0.0.1:3000/oauth/provider/github/callback` (and `.../slack/callback`)
//! as the redirect URIs of the OAuth apps. Any setting can be changed without recompiling:
//! `FRONTMCP_AUTH__PROVIDERS__SLACK__ISSUER=https://...` points `slack` at another OpenID
//! provider, for instance.
//!
//! An MCP server in local mode whose users link upstream accounts at login: they sign in here
//! (the password directory), then at each provider the configuration lists (GitHub, Slack,
//! Jira, any OAuth or OpenID provider), in turn. No token is issued until
//! `federated_auth.min_providers` are linked. The providers' tokens stay on the server, sealed
//! in the vault; `provider_profile` calls a provider's user endpoint with the caller's token,
//! and answers a provider the user has not linked with the page that links it (a URL-mode
//! elicitation, or a tool error carrying the URL). `docs/federation.md` has every option.

use std::process::ExitCode;
use std::time::Duration;

use frontmcp_auth::guard::{link_required, takes_url_elicitation};
use frontmcp_auth::prelude::*;
use rmcp::RoleServer;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock};
use rmcp::service::RequestContext;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

/// Arguments of `provider_profile`.
#[derive(Debug, Deserialize, JsonSchema)]
struct ProviderArgs {
    /// The provider id (`github`, `slack`, ...).
    provider: String,
}

/// Tools that act at the user's linked providers.
#[derive(Debug, Clone, Default)]
struct LinkedApp;

#[tool_router(server_handler)]
impl LinkedApp {
    #[tool(description = "Who is signed in here, and which providers they linked")]
    async fn whoami(&self, auth: AuthContext) -> String {
        let linked = auth
            .linked_providers()
            .await
            .map_or_else(|e| format!("error: {e}"), |ids| ids.join(","));
        format!("{} linked={linked}", auth.subject)
    }

    #[tool(description = "The caller's profile at a linked provider, read with their token there")]
    async fn provider_profile(
        &self,
        auth: AuthContext,
        context: RequestContext<RoleServer>,
        Parameters(ProviderArgs { provider }): Parameters<ProviderArgs>,
    ) -> CallToolResponse {
        let token = match auth.upstream_token(&provider).await {
            Ok(token) => token,
            Err(e) => return link_required(&e, takes_url_elicitation(&context)),
        };
        let text = match auth.upstream_endpoints(&provider).await {
            Ok(endpoints) => match endpoints.userinfo.clone() {
                Some(url) => fetch(&url, &token.access_token).await,
                None => format!("error: {provider} has no user endpoint"),
            },
            Err(e) => format!("error: {e}"),
        };
        CallToolResult::success(vec![ContentBlock::text(text)]).into()
    }
}

async fn fetch(url: &str, token: &str) -> String {
    let answer = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .header("accept", "application/json")
        .header("user-agent", "frontmcp-auth-example")
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

/// The example server: GitHub must be linked, Slack may be.
#[frontmcp(
    info(name = "FederationExample", version = "0.1.0"),
    apps(LinkedApp),
    http(port = 3000),
    auth(
        mode = "local",
        session_mode = "stateful",
        token_storage(sqlite(path = "frontmcp-auth.db")),
        refresh(access_token_ttl = 900, refresh_token_ttl = 604800),
        login(authenticator = "password"),
        providers(
            github(
                name = "GitHub",
                client_id = env("GITHUB_CLIENT_ID"),
                client_secret = env("GITHUB_CLIENT_SECRET"),
            ),
            slack(
                name = "Slack",
                client_id = env("SLACK_CLIENT_ID"),
                client_secret = env("SLACK_CLIENT_SECRET"),
            ),
        ),
        federated_auth(min_providers = 1, required_providers = ["github"]),
    )
)]
struct Server;

#[tokio::main]
async fn main() -> ExitCode {
    frontmcp_auth::cli::run(Server::definition()).await
}
