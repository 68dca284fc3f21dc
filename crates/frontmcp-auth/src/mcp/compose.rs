//! Several apps served as one MCP server: every request an rmcp handler serves is forwarded to
//! the app it belongs to, through the gates ([`super::gates`]); capabilities are the union of the
//! apps'. Tool and prompt names that two apps share are namespaced ([`super::names`]); resources
//! are routed by URI ([`super::resources`]).

use std::sync::Arc;

use futures::future::BoxFuture;
use rmcp::model::{
    Implementation, Prompt, Resource, ResourceTemplate, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};
use tokio::sync::RwLock;

use super::app::ErasedApp;
use super::gates::{self, Item, PublicLists};
use super::names::{self, Lookup, Named, RouteCache, Routes};
use super::resources::{Clash, ResourceRoutes, first_wins};

pub(super) struct Composed {
    pub(super) config: ServerConfig,
    pub(super) anonymous_scopes: Vec<String>,
    pub(super) public: PublicLists,
    pub(super) apps: Vec<(String, Arc<dyn ErasedApp>)>,
    pub(super) tools: RouteCache,
    pub(super) prompts: RouteCache,
    pub(super) resources: RwLock<Option<Arc<ResourceRoutes>>>,
}

/// The MCP server made of the server's apps.
#[derive(Clone)]
pub struct ComposedServer(pub(super) Arc<Composed>);

impl std::fmt::Debug for ComposedServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.0.apps.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("ComposedServer")
            .field("apps", &ids)
            .finish()
    }
}

/// One of an app's lists, whole.
type Listing<'a, T> = BoxFuture<'a, Result<Vec<T>, ErrorData>>;

/// A capability flag one app or another declares.
fn either(ours: Option<bool>, theirs: Option<bool>) -> Option<bool> {
    if ours == Some(true) || theirs == Some(true) {
        Some(true)
    } else {
        ours.or(theirs)
    }
}

/// The union of the apps' capabilities and instructions.
fn union(name: &str, version: &str, apps: &[(String, Arc<dyn ErasedApp>)]) -> ServerConfig {
    let mut capabilities = ServerCapabilities::builder()
        .enable_tools()
        .enable_prompts()
        .build();
    let mut instructions = Vec::new();
    for (_, app) in apps {
        let info = app.info();
        let theirs = info.capabilities;
        if let Some(resources) = theirs.resources {
            let ours = capabilities.resources.get_or_insert_with(Default::default);
            ours.subscribe = either(ours.subscribe, resources.subscribe);
            ours.list_changed = either(ours.list_changed, resources.list_changed);
        }
        if let (Some(tools), Some(ours)) = (theirs.tools, capabilities.tools.as_mut()) {
            ours.list_changed = either(ours.list_changed, tools.list_changed);
        }
        if let (Some(prompts), Some(ours)) = (theirs.prompts, capabilities.prompts.as_mut()) {
            ours.list_changed = either(ours.list_changed, prompts.list_changed);
        }
        if theirs.completions.is_some() {
            capabilities
                .completions
                .get_or_insert_with(Default::default);
        }
        if theirs.logging.is_some() {
            capabilities.logging.get_or_insert_with(Default::default);
        }
        for (key, value) in theirs.experimental.unwrap_or_default() {
            capabilities
                .experimental
                .get_or_insert_with(Default::default)
                .entry(key)
                .or_insert(value);
        }
        for (key, value) in theirs.extensions.unwrap_or_default() {
            capabilities
                .extensions
                .get_or_insert_with(Default::default)
                .entry(key)
                .or_insert(value);
        }
        if let Some(text) = info.instructions.filter(|t| !t.trim().is_empty()) {
            instructions.push(text);
        }
    }
    let mut config =
        ServerConfig::new(capabilities).with_server_info(Implementation::new(name, version));
    if !instructions.is_empty() {
        config = config.with_instructions(instructions.join("\n\n"));
    }
    config
}

impl ComposedServer {
    pub(crate) fn new(name: &str, version: &str, apps: Vec<(String, Arc<dyn ErasedApp>)>) -> Self {
        Self(Arc::new(Composed {
            config: union(name, version, &apps),
            anonymous_scopes: vec![String::from("anonymous")],
            public: PublicLists::default(),
            apps,
            tools: RouteCache::default(),
            prompts: RouteCache::default(),
            resources: RwLock::new(None),
        }))
    }

    /// The scopes a skipped app's requests run with (progressive authorization with
    /// `skipped_app_behavior = "anonymous"`).
    #[must_use]
    pub(crate) fn with_anonymous_scopes(mut self, scopes: Vec<String>) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.0) {
            inner.anonymous_scopes = scopes;
        }
        self
    }

    /// What a public server lists to callers without a token (`public_access`).
    #[must_use]
    pub(crate) fn with_public_access(
        mut self,
        access: &frontmcp_auth_config::model::PublicAccess,
    ) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.0) {
            inner.public = PublicLists {
                tools: access.tools.clone(),
                prompts: access.prompts.clone(),
                resources: access.resources.clone(),
            };
        }
        self
    }

    /// What the apps declare that composition does not serve: start-up stops on it rather than
    /// accept and silently drop it.
    pub(crate) fn unserved(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (id, app) in &self.0.apps {
            let capabilities = app.info().capabilities;
            if capabilities.supports_tasks() {
                problems.push(format!(
                    "app `{id}` declares the tasks extension ({}), which composed apps cannot serve yet",
                    rmcp::model::TASKS_EXTENSION_ID
                ));
            }
            if capabilities.supports_skills() {
                problems.push(format!(
                    "app `{id}` declares the skills extension ({}), which composed apps cannot serve yet",
                    rmcp::model::SKILLS_EXTENSION_ID
                ));
            }
        }
        problems
    }

    pub(super) fn app_id(&self, position: usize) -> &str {
        &self.0.apps[position].0
    }

    /// Whether the caller came without a token.
    pub(super) fn anonymous(context: &RequestContext<RoleServer>) -> bool {
        gates::auth_of(context).is_some_and(|auth| auth.anonymous)
    }

    /// Whether the caller is shown `item` of app `position` in a list.
    pub(super) fn shows(
        &self,
        context: &RequestContext<RoleServer>,
        position: usize,
        item: Item<'_>,
    ) -> bool {
        (!Self::anonymous(context) || self.0.public.allows(item))
            && gates::listed(context, self.app_id(position), item)
    }

    /// The context a request for `item` of app `position` runs with, after progressive
    /// authorization (the handlers check consent first, before routing).
    pub(super) fn gated(
        &self,
        context: RequestContext<RoleServer>,
        position: usize,
        item: Item<'_>,
    ) -> Result<RequestContext<RoleServer>, ErrorData> {
        gates::gated(
            context,
            self.app_id(position),
            item,
            &self.0.anonymous_scopes,
        )
    }

    /// Every app's items, in app order. An app answering "method not found" simply has none.
    pub(super) async fn collect<'a, T>(
        &'a self,
        list: impl Fn(&'a dyn ErasedApp) -> Listing<'a, T>,
    ) -> Result<Vec<(usize, T)>, ErrorData> {
        let mut items = Vec::new();
        for (position, (_, app)) in self.0.apps.iter().enumerate() {
            match list(app.as_ref()).await {
                Ok(listed) => items.extend(listed.into_iter().map(|item| (position, item))),
                Err(err) if err.code == rmcp::model::ErrorCode::METHOD_NOT_FOUND => {}
                Err(err) => return Err(err),
            }
        }
        Ok(items)
    }

    fn app_ids(&self) -> Vec<&str> {
        self.0.apps.iter().map(|(id, _)| id.as_str()).collect()
    }

    pub(super) async fn tools(
        &self,
        context: &RequestContext<RoleServer>,
    ) -> Result<(Vec<(usize, Tool)>, Routes), ErrorData> {
        let items = self.collect(|app| app.list_tools(context.clone())).await?;
        Ok(names::expose(&self.app_ids(), items))
    }

    pub(super) async fn prompts(
        &self,
        context: &RequestContext<RoleServer>,
    ) -> Result<(Vec<(usize, Prompt)>, Routes), ErrorData> {
        let items = self
            .collect(|app| app.list_prompts(context.clone()))
            .await?;
        Ok(names::expose(&self.app_ids(), items))
    }

    /// Every app's resources and templates (a URI two apps list kept for the first), the routes
    /// they make, and the clashes.
    pub(super) async fn resources(
        &self,
        context: &RequestContext<RoleServer>,
    ) -> Result<
        (
            Vec<(usize, Resource)>,
            Vec<(usize, ResourceTemplate)>,
            Vec<Clash>,
        ),
        ErrorData,
    > {
        let resources = self
            .collect(|app| app.list_resources(context.clone()))
            .await?;
        let templates = self
            .collect(|app| app.list_resource_templates(context.clone()))
            .await?;
        let (resources, mut clashes) = first_wins(resources, |r: &Resource| &r.uri);
        let (templates, more) = first_wins(templates, |t: &ResourceTemplate| &t.uri_template);
        clashes.extend(more);
        for clash in &clashes {
            tracing::warn!(
                target: "frontmcp_auth::mcp",
                "apps `{}` and `{}` both list resource {}: `{}` serves it",
                self.app_id(clash.kept),
                self.app_id(clash.dropped),
                clash.uri,
                self.app_id(clash.kept)
            );
        }
        let routes = ResourceRoutes {
            listed_at: tokio::time::Instant::now(),
            lister: gates::caller(context),
            uris: resources
                .iter()
                .map(|(position, r)| (r.uri.clone(), *position))
                .collect(),
            templates: templates
                .iter()
                .map(|(position, t)| (*position, t.uri_template.clone()))
                .collect(),
        };
        *self.0.resources.write().await = Some(Arc::new(routes));
        Ok((resources, templates, clashes))
    }

    /// The app serving `uri`, listing again when the URI is unknown (an app may have added it
    /// since, or list it only for this caller) unless this caller's own listing is younger than
    /// [`names::RELIST_AFTER`].
    pub(super) async fn resolve(
        &self,
        uri: &str,
        context: &RequestContext<RoleServer>,
    ) -> Result<usize, ErrorData> {
        let cached = self.0.resources.read().await.clone();
        let fresh = match cached {
            Some(routes) => match routes.resolve(uri) {
                Some((position, _)) => return Ok(position),
                None => {
                    routes.listed_at.elapsed() < names::RELIST_AFTER
                        && routes.lister == gates::caller(context)
                }
            },
            None => false,
        };
        if !fresh {
            self.resources(context).await?;
        }
        let routes = self.0.resources.read().await.clone();
        routes
            .and_then(|routes| routes.resolve(uri).map(|(position, _)| position))
            .ok_or_else(|| {
                ErrorData::resource_not_found(
                    "resource not found",
                    Some(serde_json::json!({ "uri": uri })),
                )
            })
    }

    /// The route of `name` from `cache`, listing through `fill` for the caller of `context` on
    /// first use and on a miss (at most once per [`names::RELIST_AFTER`] for one caller).
    pub(super) async fn route<F, Fut>(
        &self,
        cache: &RouteCache,
        name: &str,
        context: &RequestContext<RoleServer>,
        fill: F,
    ) -> Result<Option<(usize, String)>, ErrorData>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Routes, ErrorData>>,
    {
        match cache.lookup(name, || gates::caller(context)).await {
            Lookup::Found(route) => Ok(Some(route)),
            Lookup::Missing => Ok(None),
            Lookup::Stale => {
                let routes = fill().await?;
                let route = routes.get(name).cloned();
                cache.store(routes, gates::caller(context)).await;
                Ok(route)
            }
        }
    }

    /// Clashes among what the apps list at start: a URI or template two apps serve.
    ///
    /// # Errors
    ///
    /// A listing failure, as text.
    pub(crate) async fn clashes(&self) -> Result<Vec<String>, String> {
        let context = self.start_up_context();
        let listed = self.resources(&context.0).await;
        context.1.cancel().await.ok();
        let (_, _, clashes) = listed.map_err(|e| e.message.to_string())?;
        Ok(clashes
            .iter()
            .map(|c| {
                format!(
                    "resource {} is served by apps `{}` and `{}`",
                    c.uri,
                    self.app_id(c.kept),
                    self.app_id(c.dropped)
                )
            })
            .collect())
    }

    /// A request context of a short-lived in-process MCP session (apps list only inside one).
    fn start_up_context(
        &self,
    ) -> (
        RequestContext<RoleServer>,
        rmcp::service::RunningService<RoleServer, ComposedServer>,
    ) {
        let (ours, _theirs) = tokio::io::duplex(4096);
        let running = rmcp::service::serve_directly(self.clone(), ours, None);
        let context = RequestContext::new(
            rmcp::model::NumberOrString::Number(0),
            running.peer().clone(),
        );
        (context, running)
    }

    /// Lists the tools at start-up.
    async fn listed(&self) -> Result<(Vec<(usize, Tool)>, Routes), String> {
        let (context, running) = self.start_up_context();
        let listed = ComposedServer::tools(self, &context).await;
        let _ = running.cancel().await;
        listed.map_err(|e| e.message.to_string())
    }

    /// Lists the prompts and resources at start-up.
    async fn listed_content(
        &self,
    ) -> Result<
        (
            Vec<(usize, Prompt)>,
            Vec<(usize, Resource)>,
            Vec<(usize, ResourceTemplate)>,
        ),
        String,
    > {
        let (context, running) = self.start_up_context();
        let prompts = ComposedServer::prompts(self, &context).await;
        let resources = ComposedServer::resources(self, &context).await;
        let _ = running.cancel().await;
        let (prompts, _) = prompts.map_err(|e| e.message.to_string())?;
        let (resources, templates, _) = resources.map_err(|e| e.message.to_string())?;
        Ok((prompts, resources, templates))
    }

    /// The prompt names, resource URIs and resource templates clients see, for start-up checks.
    ///
    /// # Errors
    ///
    /// A listing failure, as text.
    pub(crate) async fn content_names(&self) -> Result<(Vec<String>, Vec<String>), String> {
        let (prompts, resources, templates) = self.listed_content().await?;
        let prompts = prompts.into_iter().map(|(_, p)| p.name).collect();
        let mut uris: Vec<String> = resources.into_iter().map(|(_, r)| r.uri).collect();
        uris.extend(templates.into_iter().map(|(_, t)| t.uri_template));
        Ok((prompts, uris))
    }
}

impl crate::guard::ToolRoutes for ComposedServer {
    fn routes(&self) -> BoxFuture<'_, Result<Vec<crate::guard::ToolRoute>, String>> {
        Box::pin(async move {
            let (_, routes) = self.listed().await?;
            Ok(routes
                .into_iter()
                .filter_map(|(exposed, (position, own))| {
                    let app = self.0.apps.get(position)?.0.clone();
                    Some(crate::guard::ToolRoute { exposed, app, own })
                })
                .collect())
        })
    }
}

impl super::ToolCatalog for ComposedServer {
    fn tools(&self) -> BoxFuture<'_, Result<Vec<super::CatalogTool>, String>> {
        Box::pin(async move {
            let (tools, _) = self.listed().await?;
            let (prompts, resources, templates) = self.listed_content().await?;
            let entry = |position: usize, kind, name: String, description: Option<String>| {
                super::CatalogTool {
                    app: self.app_id(position).to_owned(),
                    kind,
                    name,
                    description,
                }
            };
            let mut entries: Vec<super::CatalogTool> = tools
                .into_iter()
                .map(|(p, tool)| {
                    entry(
                        p,
                        super::CatalogKind::Tool,
                        tool.name().to_owned(),
                        tool.description.map(|d| d.to_string()),
                    )
                })
                .collect();
            entries.extend(prompts.into_iter().map(|(p, prompt)| {
                entry(
                    p,
                    super::CatalogKind::Prompt,
                    format!("{}{}", gates::PROMPT_PREFIX, prompt.name),
                    prompt.description,
                )
            }));
            entries.extend(resources.into_iter().map(|(p, resource)| {
                let description = resource.description.or(Some(resource.name));
                entry(
                    p,
                    super::CatalogKind::Resource,
                    format!("{}{}", gates::RESOURCE_PREFIX, resource.uri),
                    description,
                )
            }));
            entries.extend(templates.into_iter().map(|(p, template)| {
                let description = template.description.or(Some(template.name));
                entry(
                    p,
                    super::CatalogKind::Resource,
                    format!("{}{}", gates::RESOURCE_PREFIX, template.uri_template),
                    description,
                )
            }));
            Ok(entries)
        })
    }
}

#[cfg(test)]
// Logging is deprecated in the newest protocol version; apps of the earlier ones declare it.
#[allow(deprecated)]
mod tests {
    use rmcp::ServerHandler;

    use super::*;

    #[derive(Default)]
    struct Logs;

    impl ServerHandler for Logs {
        fn get_info(&self) -> ServerConfig {
            ServerConfig::new(ServerCapabilities::builder().enable_logging().build())
                .with_instructions("Logs app.")
        }
    }

    #[derive(Default)]
    struct Subscriptions;

    impl ServerHandler for Subscriptions {
        fn get_info(&self) -> ServerConfig {
            ServerConfig::new(
                ServerCapabilities::builder()
                    .enable_resources()
                    .enable_resources_subscribe()
                    .enable_completions()
                    .build(),
            )
            .with_instructions("Subscriptions app.")
        }
    }

    #[derive(Default)]
    struct Tasks;

    impl ServerHandler for Tasks {
        fn get_info(&self) -> ServerConfig {
            ServerConfig::new(ServerCapabilities::builder().enable_tasks().build())
        }
    }

    fn composed(apps: Vec<(&str, Arc<dyn ErasedApp>)>) -> ComposedServer {
        let apps = apps
            .into_iter()
            .map(|(id, app)| (id.to_owned(), app))
            .collect();
        ComposedServer::new("Test", "1", apps)
    }

    #[test]
    fn capabilities_and_instructions_are_the_union_of_the_apps() {
        let server = composed(vec![
            ("logs", Arc::new(Logs)),
            ("subs", Arc::new(Subscriptions)),
        ]);
        let info = server.0.config.clone();
        let capabilities = info.capabilities;
        assert!(capabilities.logging.is_some());
        assert!(capabilities.completions.is_some());
        assert_eq!(capabilities.resources.and_then(|r| r.subscribe), Some(true));
        assert!(capabilities.tools.is_some() && capabilities.prompts.is_some());
        assert_eq!(
            info.instructions.as_deref(),
            Some("Logs app.\n\nSubscriptions app.")
        );
        assert!(server.unserved().is_empty());
        let alone = composed(vec![("logs", Arc::new(Logs))]);
        assert!(alone.0.config.capabilities.resources.is_none());
        assert!(alone.0.config.capabilities.completions.is_none());
    }

    #[test]
    fn an_app_declaring_tasks_is_reported_unserved() {
        let server = composed(vec![("logs", Arc::new(Logs)), ("jobs", Arc::new(Tasks))]);
        let unserved = server.unserved();
        assert_eq!(unserved.len(), 1, "{unserved:?}");
        assert!(
            unserved[0].contains("app `jobs` declares the tasks extension"),
            "{unserved:?}"
        );
    }
}
