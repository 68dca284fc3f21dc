//! Two small apps for tests. Both have a `status` tool, so the composed server namespaces it.

#![allow(dead_code)]

use frontmcp_auth::AuthContext;
use frontmcp_auth::guard::{link_required, takes_url_elicitation};
use rmcp::RoleServer;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock};
use rmcp::model::{PromptMessage, Role, ServerCapabilities, ServerConfig};
use rmcp::service::RequestContext;
use rmcp::{ServerHandler, prompt, prompt_handler, prompt_router, tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

/// Arguments of `add`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct AddArgs {
    /// First addend.
    pub a: i64,
    /// Second addend.
    pub b: i64,
}

/// Arguments of `echo`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct EchoArgs {
    /// What to echo.
    pub text: String,
}

/// Arithmetic and identity tools.
#[derive(Debug, Clone, Default)]
pub struct MathApp;

#[tool_router(server_handler)]
impl MathApp {
    #[tool(description = "Add two integers")]
    async fn add(&self, Parameters(AddArgs { a, b }): Parameters<AddArgs>) -> String {
        (a + b).to_string()
    }

    #[tool(description = "Echo the text back")]
    async fn echo(&self, Parameters(EchoArgs { text }): Parameters<EchoArgs>) -> String {
        text
    }

    #[tool(description = "The caller's subject, scopes and anonymity")]
    async fn whoami(&self, auth: AuthContext) -> String {
        format!(
            "{} anonymous={} scopes={}",
            auth.subject,
            auth.anonymous,
            auth.scopes.join(",")
        )
    }

    #[tool(description = "Status of the math app")]
    async fn status(&self) -> String {
        "math ok".to_owned()
    }
}

/// Billing tools.
#[derive(Debug, Clone, Default)]
pub struct BillingApp;

#[tool_router(server_handler)]
impl BillingApp {
    #[tool(description = "List the caller's invoices")]
    async fn list_invoices(&self, auth: AuthContext) -> String {
        format!("invoices of {}", auth.subject)
    }

    #[tool(description = "Status of the billing app")]
    async fn status(&self) -> String {
        "billing ok".to_owned()
    }
}

/// Prompts only: one public, one for members.
#[derive(Debug, Clone, Default)]
pub struct PromptApp;

#[prompt_router]
impl PromptApp {
    #[prompt(name = "greeting", description = "A friendly greeting")]
    async fn greeting(&self) -> Vec<PromptMessage> {
        vec![PromptMessage::new_text(Role::User, "Say hello")]
    }

    #[prompt(name = "secret_plan", description = "For members only")]
    async fn secret_plan(&self) -> Vec<PromptMessage> {
        vec![PromptMessage::new_text(Role::User, "The plan")]
    }
}

#[prompt_handler]
impl ServerHandler for PromptApp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_prompts().build())
    }
}

/// Arguments of `upstream_profile`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ProfileArgs {
    /// The provider's userinfo URL.
    pub url: String,
}

/// A tool that calls the upstream provider's API with the caller's upstream access token.
#[derive(Debug, Clone, Default)]
pub struct UpstreamApp;

#[tool_router(server_handler)]
impl UpstreamApp {
    #[tool(description = "The caller's profile at the identity provider")]
    async fn upstream_profile(
        &self,
        auth: AuthContext,
        Parameters(ProfileArgs { url }): Parameters<ProfileArgs>,
    ) -> String {
        let token = match auth.upstream_token("default").await {
            Ok(token) => token,
            Err(e) => return format!("error: {e}"),
        };
        let answer = reqwest::Client::new()
            .get(&url)
            .bearer_auth(&token.access_token)
            .send()
            .await;
        match answer {
            Ok(response) => format!(
                "{} {}",
                response.status().as_u16(),
                response.text().await.unwrap_or_default()
            ),
            Err(e) => format!("error: {e}"),
        }
    }

    #[tool(description = "Whether the caller has an upstream token, and its expiry")]
    async fn upstream_token_state(&self, auth: AuthContext) -> String {
        match auth.upstream_token("default").await {
            Ok(token) => format!("ok expires_at={:?}", token.expires_at),
            Err(e) => format!("error: {e}"),
        }
    }
}

/// Arguments of `provider_profile`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ProviderProfileArgs {
    /// The federated provider's id.
    pub provider: String,
    /// The provider's userinfo URL.
    pub url: String,
}

/// Tools that call federated providers' APIs with the caller's linked tokens.
#[derive(Debug, Clone, Default)]
pub struct FederatedApp;

#[tool_router(server_handler)]
impl FederatedApp {
    #[tool(description = "The caller's profile at a linked provider")]
    async fn provider_profile(
        &self,
        auth: AuthContext,
        context: RequestContext<RoleServer>,
        Parameters(ProviderProfileArgs { provider, url }): Parameters<ProviderProfileArgs>,
    ) -> CallToolResponse {
        let token = match auth.upstream_token(&provider).await {
            Ok(token) => token,
            Err(e) => return link_required(&e, takes_url_elicitation(&context)),
        };
        let text = match reqwest::Client::new()
            .get(&url)
            .bearer_auth(&token.access_token)
            .send()
            .await
        {
            Ok(response) => format!(
                "{} {}",
                response.status().as_u16(),
                response.text().await.unwrap_or_default()
            ),
            Err(e) => format!("error: {e}"),
        };
        CallToolResult::success(vec![ContentBlock::text(text)]).into()
    }

    #[tool(description = "The providers the caller's session has linked")]
    async fn linked_providers(&self, auth: AuthContext) -> Result<String, String> {
        auth.linked_providers()
            .await
            .map(|linked| linked.join(","))
            .map_err(|e| format!("error: {e}"))
    }
}

/// Resources, a resource template and a prompt, in a hand-written handler.
#[derive(Debug, Clone, Default)]
pub struct DocsApp;

impl ServerHandler for DocsApp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_prompts()
                .enable_resources()
                .enable_completions()
                .build(),
        )
    }

    async fn list_resources(
        &self,
        _request: Option<rmcp::model::PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ListResourcesResult, rmcp::ErrorData> {
        Ok(rmcp::model::ListResourcesResult::with_all_items(vec![
            rmcp::model::Resource::new("docs://handbook", "handbook"),
            rmcp::model::Resource::new("docs://secret", "secret"),
        ]))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<rmcp::model::PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ListResourceTemplatesResult, rmcp::ErrorData> {
        Ok(rmcp::model::ListResourceTemplatesResult::with_all_items(
            vec![rmcp::model::ResourceTemplate::new(
                "docs://pages/{id}",
                "page",
            )],
        ))
    }

    async fn read_resource(
        &self,
        request: rmcp::model::ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ReadResourceResponse, rmcp::ErrorData> {
        let reader = context
            .extensions
            .get::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<AuthContext>())
            .map(|auth| auth.subject.clone())
            .unwrap_or_default();
        let text = format!("{} read by {reader}", request.uri);
        Ok(
            rmcp::model::ReadResourceResult::new(vec![rmcp::model::ResourceContents::text(
                text,
                request.uri,
            )])
            .into(),
        )
    }

    async fn list_prompts(
        &self,
        _request: Option<rmcp::model::PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ListPromptsResult, rmcp::ErrorData> {
        Ok(rmcp::model::ListPromptsResult::with_all_items(vec![
            rmcp::model::Prompt::new("summarise", Some("Summarise a page"), None),
        ]))
    }

    async fn get_prompt(
        &self,
        _request: rmcp::model::GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::GetPromptResponse, rmcp::ErrorData> {
        Ok(
            rmcp::model::GetPromptResult::new(vec![PromptMessage::new_text(
                Role::User,
                "Summarise it",
            )])
            .into(),
        )
    }
}
