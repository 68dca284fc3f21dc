//! An app: a group of tools written with rmcp (`#[tool_router(server_handler)]`).

use std::sync::Arc;

use futures::future::BoxFuture;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, GetPromptRequestParams, GetPromptResponse,
    ListPromptsResult, ListToolsResult,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};

/// An app of the server: any rmcp [`ServerHandler`] that can be built with `Default`.
///
/// ```
/// use frontmcp_auth::AuthContext;
/// use rmcp::{tool, tool_router};
///
/// #[derive(Clone, Default)]
/// struct BillingApp;
///
/// #[tool_router(server_handler)]
/// impl BillingApp {
///     #[tool(description = "List invoices")]
///     async fn list_invoices(&self, auth: AuthContext) -> String {
///         format!("invoices of {}", auth.subject)
///     }
/// }
///
/// fn is_app<T: frontmcp_auth::mcp::App>() {}
/// is_app::<BillingApp>();
/// ```
pub trait App: ServerHandler + Default + Send + Sync + 'static {}

impl<T: ServerHandler + Default + Send + Sync + 'static> App for T {}

/// The object-safe part of an app the composed server calls.
pub(crate) trait ErasedApp: Send + Sync {
    fn list_tools(
        &self,
        context: RequestContext<RoleServer>,
    ) -> BoxFuture<'_, Result<ListToolsResult, ErrorData>>;
    fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> BoxFuture<'_, Result<CallToolResponse, ErrorData>>;
    fn list_prompts(
        &self,
        context: RequestContext<RoleServer>,
    ) -> BoxFuture<'_, Result<ListPromptsResult, ErrorData>>;
    fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> BoxFuture<'_, Result<GetPromptResponse, ErrorData>>;
}

impl<T: App> ErasedApp for T {
    fn list_tools(
        &self,
        context: RequestContext<RoleServer>,
    ) -> BoxFuture<'_, Result<ListToolsResult, ErrorData>> {
        Box::pin(ServerHandler::list_tools(self, None, context))
    }

    fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> BoxFuture<'_, Result<CallToolResponse, ErrorData>> {
        Box::pin(ServerHandler::call_tool(self, request, context))
    }

    fn list_prompts(
        &self,
        context: RequestContext<RoleServer>,
    ) -> BoxFuture<'_, Result<ListPromptsResult, ErrorData>> {
        Box::pin(ServerHandler::list_prompts(self, None, context))
    }

    fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> BoxFuture<'_, Result<GetPromptResponse, ErrorData>> {
        Box::pin(ServerHandler::get_prompt(self, request, context))
    }
}

/// Builds one app instance.
#[derive(Clone)]
pub struct AppFactory(pub(crate) Arc<dyn Fn() -> Arc<dyn ErasedApp> + Send + Sync>);

impl AppFactory {
    /// The factory of app type `T`.
    pub fn of<T: App>() -> Self {
        Self(Arc::new(|| Arc::new(T::default()) as Arc<dyn ErasedApp>))
    }
}

impl std::fmt::Debug for AppFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppFactory")
    }
}
