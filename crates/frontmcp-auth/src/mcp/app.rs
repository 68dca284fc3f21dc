//! An app: any rmcp server handler (`#[tool_router(server_handler)]`, or a hand-written
//! `ServerHandler` with tools, prompts, resources, completions and logging).

// Logging and the legacy subscription methods are deprecated in the newest protocol version;
// clients of the earlier versions use them, so apps may serve them.
#![allow(deprecated)]

use std::sync::Arc;

use futures::future::BoxFuture;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CompleteRequestParams, CompleteResult,
    GetPromptRequestParams, GetPromptResponse, ListPromptsResult, ListResourceTemplatesResult,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, Prompt,
    ReadResourceRequestParams, ReadResourceResponse, Resource, ResourceTemplate, ServerConfig,
    SetLevelRequestParams, SubscribeRequestParams, Tool, UnsubscribeRequestParams,
};
use rmcp::service::{NotificationContext, RequestContext};
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

type Answer<'a, T> = BoxFuture<'a, Result<T, ErrorData>>;

/// The most pages of one list read from an app.
const MAX_PAGES: usize = 100;

/// Every page of one of an app's lists, following its cursors (at most [`MAX_PAGES`]).
async fn every_page<R, T, Fut>(
    mut list: impl FnMut(Option<PaginatedRequestParams>) -> Fut,
    take: impl Fn(R) -> (Vec<T>, Option<String>),
) -> Result<Vec<T>, ErrorData>
where
    Fut: std::future::Future<Output = Result<R, ErrorData>>,
{
    let mut items = Vec::new();
    let mut page = None;
    for _ in 0..MAX_PAGES {
        let (mut listed, next) = take(list(page).await?);
        items.append(&mut listed);
        match next {
            Some(cursor) => {
                page = Some(PaginatedRequestParams::default().with_cursor(Some(cursor)));
            }
            None => break,
        }
    }
    Ok(items)
}

/// The object-safe part of an app the composed server calls: every request an rmcp handler
/// serves that the composition forwards, and the client's notifications.
pub(crate) trait ErasedApp: Send + Sync {
    fn info(&self) -> ServerConfig;
    fn list_tools(&self, context: RequestContext<RoleServer>) -> Answer<'_, Vec<Tool>>;
    fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Answer<'_, CallToolResponse>;
    fn list_prompts(&self, context: RequestContext<RoleServer>) -> Answer<'_, Vec<Prompt>>;
    fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Answer<'_, GetPromptResponse>;
    fn list_resources(&self, context: RequestContext<RoleServer>) -> Answer<'_, Vec<Resource>>;
    fn list_resource_templates(
        &self,
        context: RequestContext<RoleServer>,
    ) -> Answer<'_, Vec<ResourceTemplate>>;
    fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Answer<'_, ReadResourceResponse>;
    fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Answer<'_, ()>;
    fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Answer<'_, ()>;
    fn complete(
        &self,
        request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Answer<'_, CompleteResult>;
    fn set_level(
        &self,
        request: SetLevelRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Answer<'_, ()>;
    fn notified(
        &self,
        notification: Notification,
        context: NotificationContext<RoleServer>,
    ) -> BoxFuture<'_, ()>;
}

/// A client notification every app hears.
#[derive(Debug, Clone)]
pub(crate) enum Notification {
    Initialized,
    RootsListChanged,
    Cancelled(rmcp::model::CancelledNotificationParam),
    Progress(rmcp::model::ProgressNotificationParam),
}

impl<T: App> ErasedApp for T {
    fn info(&self) -> ServerConfig {
        ServerHandler::get_info(self)
    }

    fn list_tools(&self, context: RequestContext<RoleServer>) -> Answer<'_, Vec<Tool>> {
        Box::pin(every_page(
            move |page| ServerHandler::list_tools(self, page, context.clone()),
            |r: ListToolsResult| (r.tools, r.next_cursor),
        ))
    }

    fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Answer<'_, CallToolResponse> {
        Box::pin(ServerHandler::call_tool(self, request, context))
    }

    fn list_prompts(&self, context: RequestContext<RoleServer>) -> Answer<'_, Vec<Prompt>> {
        Box::pin(every_page(
            move |page| ServerHandler::list_prompts(self, page, context.clone()),
            |r: ListPromptsResult| (r.prompts, r.next_cursor),
        ))
    }

    fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Answer<'_, GetPromptResponse> {
        Box::pin(ServerHandler::get_prompt(self, request, context))
    }

    fn list_resources(&self, context: RequestContext<RoleServer>) -> Answer<'_, Vec<Resource>> {
        Box::pin(every_page(
            move |page| ServerHandler::list_resources(self, page, context.clone()),
            |r: ListResourcesResult| (r.resources, r.next_cursor),
        ))
    }

    fn list_resource_templates(
        &self,
        context: RequestContext<RoleServer>,
    ) -> Answer<'_, Vec<ResourceTemplate>> {
        Box::pin(every_page(
            move |page| ServerHandler::list_resource_templates(self, page, context.clone()),
            |r: ListResourceTemplatesResult| (r.resource_templates, r.next_cursor),
        ))
    }

    fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Answer<'_, ReadResourceResponse> {
        Box::pin(ServerHandler::read_resource(self, request, context))
    }

    fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Answer<'_, ()> {
        Box::pin(ServerHandler::subscribe(self, request, context))
    }

    fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Answer<'_, ()> {
        Box::pin(ServerHandler::unsubscribe(self, request, context))
    }

    fn complete(
        &self,
        request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Answer<'_, CompleteResult> {
        Box::pin(ServerHandler::complete(self, request, context))
    }

    fn set_level(
        &self,
        request: SetLevelRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Answer<'_, ()> {
        Box::pin(ServerHandler::set_level(self, request, context))
    }

    fn notified(
        &self,
        notification: Notification,
        context: NotificationContext<RoleServer>,
    ) -> BoxFuture<'_, ()> {
        match notification {
            Notification::Initialized => Box::pin(ServerHandler::on_initialized(self, context)),
            Notification::RootsListChanged => {
                Box::pin(ServerHandler::on_roots_list_changed(self, context))
            }
            Notification::Cancelled(params) => {
                Box::pin(ServerHandler::on_cancelled(self, params, context))
            }
            Notification::Progress(params) => {
                Box::pin(ServerHandler::on_progress(self, params, context))
            }
        }
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
