//! The composed server's MCP handler: each request is routed to its app through the gates.

// Logging and the legacy subscription methods are deprecated in the newest protocol version;
// clients of the earlier versions use them, so the composition forwards them.
#![allow(deprecated)]

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CancelledNotificationParam, CompleteRequestParams,
    CompleteResult, ErrorCode, GetPromptRequestParams, GetPromptResponse, ListPromptsResult,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams,
    ProgressNotificationParam, ReadResourceRequestParams, ReadResourceResponse, Reference,
    ServerConfig, SetLevelRequestParams, SubscribeRequestParams, UnsubscribeRequestParams,
};
use rmcp::service::{NotificationContext, RequestContext};
use rmcp::{ErrorData, RoleServer, ServerHandler};

use super::ComposedServer;
use super::app::Notification;
use super::gates::Item;

impl ComposedServer {
    /// The app of `uri` and the context its request runs with.
    async fn resource_request(
        &self,
        uri: &str,
        context: RequestContext<RoleServer>,
    ) -> Result<(usize, RequestContext<RoleServer>), ErrorData> {
        super::gates::check_consent(&context, Item::Resource(uri))?;
        let position = self.resolve(uri, &context).await?;
        let context = self.gated(context, position, Item::Resource(uri))?;
        Ok((position, context))
    }

    fn app(&self, position: usize) -> &dyn super::app::ErasedApp {
        self.0.apps[position].1.as_ref()
    }

    /// Every app hears the client's notifications.
    async fn notify_all(
        &self,
        notification: Notification,
        context: NotificationContext<RoleServer>,
    ) {
        for (_, app) in &self.0.apps {
            app.notified(notification.clone(), context.clone()).await;
        }
    }
}

impl ServerHandler for ComposedServer {
    fn get_info(&self) -> ServerConfig {
        self.0.config.clone()
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let (tools, routes) = self.tools(&context).await?;
        self.0
            .tools
            .store(routes, super::gates::caller(&context))
            .await;
        let tools = tools
            .into_iter()
            .filter(|(p, tool)| self.shows(&context, *p, Item::Tool(&tool.name)))
            .map(|(_, tool)| tool)
            .collect();
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        mut request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        super::gates::check_consent(&context, Item::Tool(&request.name))?;
        let route = self
            .route(&self.0.tools, &request.name, &context, || async {
                Ok(self.tools(&context).await?.1)
            })
            .await?;
        let Some((position, own)) = route else {
            return Err(ErrorData::invalid_params(
                format!("unknown tool: {}", request.name),
                None,
            ));
        };
        let context = self.gated(context, position, Item::Tool(&request.name))?;
        request.name = own.into();
        self.app(position).call_tool(request, context).await
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let (prompts, routes) = self.prompts(&context).await?;
        self.0
            .prompts
            .store(routes, super::gates::caller(&context))
            .await;
        let prompts = prompts
            .into_iter()
            .filter(|(p, prompt)| self.shows(&context, *p, Item::Prompt(&prompt.name)))
            .map(|(_, prompt)| prompt)
            .collect();
        Ok(ListPromptsResult::with_all_items(prompts))
    }

    async fn get_prompt(
        &self,
        mut request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let (position, own) = self.prompt_route(&request.name, &context).await?;
        let context = self.gated(context, position, Item::Prompt(&request.name))?;
        request.name = own;
        self.app(position).get_prompt(request, context).await
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let (resources, _, _) = self.resources(&context).await?;
        let resources = resources
            .into_iter()
            .filter(|(p, r)| self.shows(&context, *p, Item::Resource(&r.uri)))
            .map(|(_, r)| r)
            .collect();
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let (_, templates, _) = self.resources(&context).await?;
        let templates = templates
            .into_iter()
            .filter(|(p, t)| self.shows(&context, *p, Item::Resource(&t.uri_template)))
            .map(|(_, t)| t)
            .collect();
        Ok(ListResourceTemplatesResult::with_all_items(templates))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let (position, context) = self.resource_request(&request.uri, context).await?;
        self.app(position).read_resource(request, context).await
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let (position, context) = self.resource_request(&request.uri, context).await?;
        self.app(position).subscribe(request, context).await
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let (position, context) = self.resource_request(&request.uri, context).await?;
        self.app(position).unsubscribe(request, context).await
    }

    async fn complete(
        &self,
        mut request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let (position, context) = match &mut request.r#ref {
            Reference::Prompt(prompt) => {
                let (position, own) = self.prompt_route(&prompt.name, &context).await?;
                let context = self.gated(context, position, Item::Prompt(&prompt.name))?;
                prompt.name = own;
                (position, context)
            }
            Reference::Resource(resource) => self.resource_request(&resource.uri, context).await?,
            _ => {
                return Err(ErrorData::invalid_params(
                    "completion/complete names neither a prompt nor a resource",
                    None,
                ));
            }
        };
        match self.app(position).complete(request, context).await {
            // An app without completions offers none.
            Err(err) if err.code == ErrorCode::METHOD_NOT_FOUND => Ok(CompleteResult::default()),
            answer => answer,
        }
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        if self.0.config.capabilities.logging.is_none() {
            return Err(ErrorData::new(
                ErrorCode::METHOD_NOT_FOUND,
                "logging/setLevel",
                None,
            ));
        }
        for (_, app) in &self.0.apps {
            if app.info().capabilities.logging.is_some() {
                app.set_level(request.clone(), context.clone()).await?;
            }
        }
        Ok(())
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        self.notify_all(Notification::Initialized, context).await;
    }

    async fn on_roots_list_changed(&self, context: NotificationContext<RoleServer>) {
        self.notify_all(Notification::RootsListChanged, context)
            .await;
    }

    async fn on_cancelled(
        &self,
        notification: CancelledNotificationParam,
        context: NotificationContext<RoleServer>,
    ) {
        self.notify_all(Notification::Cancelled(notification), context)
            .await;
    }

    async fn on_progress(
        &self,
        notification: ProgressNotificationParam,
        context: NotificationContext<RoleServer>,
    ) {
        self.notify_all(Notification::Progress(notification), context)
            .await;
    }
}

impl ComposedServer {
    /// The app and own name of prompt `name`.
    async fn prompt_route(
        &self,
        name: &str,
        context: &RequestContext<RoleServer>,
    ) -> Result<(usize, String), ErrorData> {
        super::gates::check_consent(context, Item::Prompt(name))?;
        self.route(&self.0.prompts, name, context, || async {
            Ok(self.prompts(context).await?.1)
        })
        .await?
        .ok_or_else(|| ErrorData::invalid_params(format!("unknown prompt: {name}"), None))
    }
}
