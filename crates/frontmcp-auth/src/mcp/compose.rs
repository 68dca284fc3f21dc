//! Several apps served as one MCP server. Tool and prompt names that two apps share are
//! namespaced as `{app_id}.{name}`; unique names stay as they are.

use std::collections::HashMap;
use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, ErrorCode, GetPromptRequestParams, GetPromptResponse,
    Implementation, ListPromptsResult, ListToolsResult, PaginatedRequestParams, Prompt,
    ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use tokio::sync::RwLock;

use super::app::ErasedApp;
use super::catalog::{CatalogTool, ToolCatalog};
use crate::guard::AuthContext;

/// JSON-RPC error code of a call to a tool the token's consent does not include.
pub const TOOL_NOT_CONSENTED: i32 = -32003;
/// JSON-RPC error code of a call to a tool of an app the user has not authorized yet.
pub const AUTHORIZATION_REQUIRED: i32 = -32004;

fn auth_of(context: &RequestContext<RoleServer>) -> Option<&AuthContext> {
    context
        .extensions
        .get::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<AuthContext>())
}

/// Whether the array claim `value` lists `item`; `None` when it is not an array.
fn lists(value: Option<&serde_json::Value>, item: &str) -> Option<bool> {
    Some(value?.as_array()?.iter().any(|v| v.as_str() == Some(item)))
}

fn strings(value: Option<&serde_json::Value>) -> Option<Vec<String>> {
    Some(
        value?
            .as_array()?
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
    )
}

/// What progressive authorization says about calling a tool of `app`.
enum AppGate {
    /// Authorized (or no `authorized_apps` claim): call as the user.
    Open,
    /// Skipped, and skipped apps run anonymously: call with this context.
    Anonymous(AuthContext),
    /// Not authorized: the error to answer.
    Refused(ErrorData),
}

/// The URL that authorizes `app` for the caller's client: everything the server knows; the
/// client adds its `redirect_uri`, PKCE `code_challenge` and `state`.
fn authorization_url(auth: &AuthContext, app: &str) -> Option<String> {
    let issuer = auth.claim("iss")?.as_str()?;
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("response_type", "code");
    if let Some(client) = &auth.client_id {
        query.append_pair("client_id", client);
    }
    query.append_pair("app", app);
    query.append_pair("code_challenge_method", "S256");
    if !auth.scopes.is_empty() {
        query.append_pair("scope", &auth.scopes.join(" "));
    }
    if let Some(resource) = auth.claim("aud").and_then(|a| a.as_str()) {
        query.append_pair("resource", resource);
    }
    Some(format!("{issuer}/oauth/authorize?{}", query.finish()))
}

/// The caller's `consent` claim: the tools it may call, or `None` when its token carries no
/// consent (every tool callable).
fn consented_tools(context: &RequestContext<RoleServer>) -> Option<(Vec<String>, Option<String>)> {
    let auth = auth_of(context)?;
    let tools = strings(auth.claim("consent"))?;
    let issuer = auth
        .claim("iss")
        .and_then(|i| i.as_str())
        .map(str::to_owned);
    Some((tools, issuer))
}

/// Exposed name → (app position, the app's own name).
type Routes = HashMap<String, (usize, String)>;

struct Composed {
    info: Implementation,
    anonymous_scopes: Vec<String>,
    apps: Vec<(String, Arc<dyn ErasedApp>)>,
    tools: RwLock<Option<Routes>>,
    prompts: RwLock<Option<Routes>>,
}

/// The MCP server made of the server's apps.
#[derive(Clone)]
pub struct ComposedServer(Arc<Composed>);

impl std::fmt::Debug for ComposedServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.0.apps.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("ComposedServer")
            .field("apps", &ids)
            .finish()
    }
}

/// Gives each `(app, name)` its exposed name: the name itself when no other app uses it,
/// `{app_id}.{name}` when two apps share it. Returns the exposed names in order and the routes.
fn namespace(app_ids: &[&str], names: &[(usize, String)]) -> (Vec<String>, Routes) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (_, name) in names {
        *counts.entry(name.as_str()).or_default() += 1;
    }
    let mut routes = Routes::new();
    let exposed = names
        .iter()
        .map(|(position, own)| {
            let exposed = if counts.get(own.as_str()).copied().unwrap_or(0) > 1 {
                format!("{}.{own}", app_ids[*position])
            } else {
                own.clone()
            };
            routes.insert(exposed.clone(), (*position, own.clone()));
            exposed
        })
        .collect();
    (exposed, routes)
}

/// A listed item with a name: a tool or a prompt.
trait Named {
    fn name(&self) -> String;
    fn rename(&mut self, name: String);
}

impl Named for Tool {
    fn name(&self) -> String {
        self.name.to_string()
    }

    fn rename(&mut self, name: String) {
        self.name = name.into();
    }
}

impl Named for Prompt {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn rename(&mut self, name: String) {
        self.name = name;
    }
}

/// What one app lists: its items, or nothing when it does not offer the method at all.
type Listing<'a, T> = futures::future::BoxFuture<'a, Result<Vec<T>, ErrorData>>;

impl ComposedServer {
    pub(crate) fn new(name: &str, version: &str, apps: Vec<(String, Arc<dyn ErasedApp>)>) -> Self {
        Self(Arc::new(Composed {
            info: Implementation::new(name, version),
            anonymous_scopes: vec![String::from("anonymous")],
            apps,
            tools: RwLock::new(None),
            prompts: RwLock::new(None),
        }))
    }

    /// The scopes a skipped app's tools run with (progressive authorization with
    /// `skipped_app_behavior = "anonymous"`).
    #[must_use]
    pub(crate) fn with_anonymous_scopes(mut self, scopes: Vec<String>) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.0) {
            inner.anonymous_scopes = scopes;
        }
        self
    }

    /// Every app's items under their exposed names, and the routes back to the apps. An app
    /// answering "method not found" simply has none.
    async fn catalog<'a, T: Named>(
        &'a self,
        list: impl Fn(&'a dyn ErasedApp) -> Listing<'a, T>,
    ) -> Result<(Vec<T>, Routes), ErrorData> {
        let mut items: Vec<(usize, T)> = Vec::new();
        for (position, (_, app)) in self.0.apps.iter().enumerate() {
            match list(app.as_ref()).await {
                Ok(listed) => items.extend(listed.into_iter().map(|item| (position, item))),
                Err(err) if err.code == ErrorCode::METHOD_NOT_FOUND => {}
                Err(err) => return Err(err),
            }
        }
        let app_ids: Vec<&str> = self.0.apps.iter().map(|(id, _)| id.as_str()).collect();
        let names: Vec<(usize, String)> = items.iter().map(|(p, item)| (*p, item.name())).collect();
        let (exposed, routes) = namespace(&app_ids, &names);
        let items = items
            .into_iter()
            .zip(exposed)
            .map(|((_, mut item), name)| {
                item.rename(name);
                item
            })
            .collect();
        Ok((items, routes))
    }

    async fn tools(
        &self,
        context: &RequestContext<RoleServer>,
    ) -> Result<(Vec<Tool>, Routes), ErrorData> {
        self.catalog(|app| {
            let context = context.clone();
            Box::pin(async move { app.list_tools(context).await.map(|l| l.tools) })
        })
        .await
    }

    async fn prompts(
        &self,
        context: &RequestContext<RoleServer>,
    ) -> Result<(Vec<Prompt>, Routes), ErrorData> {
        self.catalog(|app| {
            let context = context.clone();
            Box::pin(async move { app.list_prompts(context).await.map(|l| l.prompts) })
        })
        .await
    }

    /// The route of `name` from `cache`, listing through `fill` on first use.
    async fn route<F, Fut>(
        &self,
        cache: &RwLock<Option<Routes>>,
        name: &str,
        fill: F,
    ) -> Result<Option<(usize, String)>, ErrorData>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Routes, ErrorData>>,
    {
        if let Some(routes) = cache.read().await.as_ref() {
            return Ok(routes.get(name).cloned());
        }
        let routes = fill().await?;
        let route = routes.get(name).cloned();
        *cache.write().await = Some(routes);
        Ok(route)
    }
}

impl ComposedServer {
    /// Progressive authorization of a request for `kind` (`tool`, `prompt`) `name` of `app`.
    fn app_gate(
        &self,
        context: &RequestContext<RoleServer>,
        app: &str,
        kind: &str,
        name: &str,
    ) -> AppGate {
        let Some(auth) = auth_of(context) else {
            return AppGate::Open;
        };
        // Checked without copying the claim: this runs on every call.
        if lists(auth.claim("authorized_apps"), app).is_none_or(|listed| listed) {
            return AppGate::Open;
        }
        let authorized = strings(auth.claim("authorized_apps")).unwrap_or_default();
        if lists(auth.claim("skipped_apps"), app) == Some(true) {
            let subject = format!(
                "anon:{}",
                auth.session_id
                    .clone()
                    .unwrap_or_else(|| String::from("skipped"))
            );
            return AppGate::Anonymous(AuthContext::anonymous(
                subject,
                self.0.anonymous_scopes.clone(),
                auth.expires_at,
            ));
        }
        AppGate::Refused(ErrorData::new(
            ErrorCode(AUTHORIZATION_REQUIRED),
            "AUTHORIZATION_REQUIRED",
            Some(serde_json::json!({
                "app": app,
                kind: name,
                "authorized_apps": authorized,
                "authorization_url": authorization_url(auth, app),
                "how_to_authorize": "open authorization_url with your redirect_uri, a new PKCE code_challenge and state; the token you get back covers this app and the ones already authorized",
            })),
        ))
    }
}

impl ComposedServer {
    /// The context a request for `kind` `name` of app `position` runs with: the caller's, the
    /// anonymous one of a skipped app, or the refusal of an app not authorized.
    fn gated(
        &self,
        mut context: RequestContext<RoleServer>,
        position: usize,
        kind: &str,
        name: &str,
    ) -> Result<RequestContext<RoleServer>, ErrorData> {
        let app = &self.0.apps[position].0;
        match self.app_gate(&context, app, kind, name) {
            AppGate::Open => {}
            AppGate::Refused(error) => return Err(error),
            AppGate::Anonymous(anonymous) => {
                if let Some(parts) = context.extensions.get_mut::<http::request::Parts>() {
                    parts.extensions.insert(anonymous);
                }
            }
        }
        Ok(context)
    }
}

impl ServerHandler for ComposedServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_prompts()
                .build(),
        )
        .with_server_info(self.0.info.clone())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let (mut tools, routes) = self.tools(&context).await?;
        *self.0.tools.write().await = Some(routes);
        if let Some((consented, _)) = consented_tools(&context) {
            tools.retain(|tool| consented.iter().any(|c| *c == tool.name));
        }
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        mut request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if let Some((consented, issuer)) = consented_tools(&context)
            && !consented.iter().any(|c| *c == request.name)
        {
            let authorize = issuer.map(|iss| format!("{iss}/oauth/authorize"));
            return Err(ErrorData::new(
                ErrorCode(TOOL_NOT_CONSENTED),
                "TOOL_NOT_CONSENTED",
                Some(serde_json::json!({
                    "tool": request.name,
                    "consented": consented,
                    "authorization_endpoint": authorize,
                    "how_to_reauthorize": "start a new authorization and select this tool on the consent screen",
                })),
            ));
        }
        let route = self
            .route(&self.0.tools, &request.name, || async {
                Ok(self.tools(&context).await?.1)
            })
            .await?;
        let Some((position, own)) = route else {
            return Err(ErrorData::invalid_params(
                format!("unknown tool: {}", request.name),
                None,
            ));
        };
        let context = self.gated(context, position, "tool", &request.name)?;
        request.name = own.into();
        self.0.apps[position].1.call_tool(request, context).await
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let (prompts, routes) = self.prompts(&context).await?;
        *self.0.prompts.write().await = Some(routes);
        Ok(ListPromptsResult::with_all_items(prompts))
    }

    async fn get_prompt(
        &self,
        mut request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let route = self
            .route(&self.0.prompts, &request.name, || async {
                Ok(self.prompts(&context).await?.1)
            })
            .await?;
        let Some((position, own)) = route else {
            return Err(ErrorData::invalid_params(
                format!("unknown prompt: {}", request.name),
                None,
            ));
        };
        let context = self.gated(context, position, "prompt", &request.name)?;
        request.name = own;
        self.0.apps[position].1.get_prompt(request, context).await
    }
}

impl ComposedServer {
    /// Lists the tools through a short-lived in-process MCP session (apps list their tools only
    /// inside a request context).
    async fn listed(&self) -> Result<(Vec<Tool>, Routes), String> {
        let (ours, theirs) = tokio::io::duplex(4096);
        let running = rmcp::service::serve_directly(self.clone(), ours, None);
        let context = RequestContext::new(
            rmcp::model::NumberOrString::Number(0),
            running.peer().clone(),
        );
        let listed = ComposedServer::tools(self, &context).await;
        let _ = running.cancel().await;
        drop(theirs);
        listed.map_err(|e| e.message.to_string())
    }
}

impl crate::guard::ToolRoutes for ComposedServer {
    fn routes(
        &self,
    ) -> futures::future::BoxFuture<'_, Result<Vec<crate::guard::ToolRoute>, String>> {
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

impl ToolCatalog for ComposedServer {
    fn tools(&self) -> futures::future::BoxFuture<'_, Result<Vec<CatalogTool>, String>> {
        Box::pin(async move {
            let (tools, routes) = self.listed().await?;
            Ok(tools
                .into_iter()
                .map(|tool| {
                    let name = tool.name.to_string();
                    let app = routes
                        .get(&name)
                        .and_then(|(position, _)| self.0.apps.get(*position))
                        .map(|(id, _)| id.clone())
                        .unwrap_or_default();
                    CatalogTool {
                        app,
                        name,
                        description: tool.description.map(|d| d.to_string()),
                    }
                })
                .collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_shared_names_are_namespaced() {
        let names = vec![
            (0, "status".to_owned()),
            (0, "add".to_owned()),
            (1, "status".to_owned()),
        ];
        let (exposed, routes) = namespace(&["math", "billing"], &names);
        assert_eq!(exposed, ["math.status", "add", "billing.status"]);
        assert_eq!(
            routes.get("billing.status"),
            Some(&(1, "status".to_owned()))
        );
        assert_eq!(routes.get("add"), Some(&(0, "add".to_owned())));
    }
}
