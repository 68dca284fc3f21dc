//! What the code declares about a server: its name, its base configuration and its apps.
//!
//! `#[frontmcp(...)]` builds one of these; a server written without the macro builds it by
//! hand with the same methods.

use std::sync::Arc;

use crate::config::ConfigLoader;
use crate::guard::TokenVerifier;
use crate::mcp::{App, AppFactory};

/// One app declared in code (`apps(BillingApp, ...)`).
#[derive(Debug, Clone)]
pub struct AppDeclaration {
    /// The app's id (its path segment under `split_by_app` and its tool namespace).
    pub id: String,
    /// The Rust type holding the app's tools.
    pub type_name: &'static str,
    /// Builds the app; absent for an app declared for configuration only.
    pub factory: Option<AppFactory>,
}

/// The code-level definition of a server: the lowest configuration layer.
///
/// ```
/// use frontmcp_auth::ServerDefinition;
///
/// let definition = ServerDefinition::new("MyServer")
///     .with_base(serde_json::json!({ "auth": { "mode": "public" } }));
/// let loaded = definition
///     .loader()
///     .env(frontmcp_auth::config::Environment::default())
///     .file(frontmcp_auth::config::FileChoice::None)
///     .load()
///     .expect("valid");
/// assert_eq!(loaded.config.effective_auth().mode.as_str(), "public");
/// ```
///
/// Its `Debug` leaves out the base configuration, which may hold literal secrets.
#[derive(Clone)]
pub struct ServerDefinition {
    name: String,
    base: serde_json::Value,
    apps: Option<Vec<AppDeclaration>>,
    verifier: Option<Arc<dyn TokenVerifier>>,
    tool_scopes: std::collections::BTreeMap<String, Vec<String>>,
    authenticator: Option<Arc<dyn crate::login::Authenticator>>,
}

impl std::fmt::Debug for ServerDefinition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerDefinition")
            .field("name", &self.name)
            .field("apps", &self.apps)
            .field("verifier", &self.verifier.is_some())
            .field("authenticator", &self.authenticator.is_some())
            .finish_non_exhaustive()
    }
}

impl ServerDefinition {
    /// A server named `name` with an empty base configuration and no apps.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            base: serde_json::Value::Object(serde_json::Map::new()),
            apps: Some(Vec::new()),
            verifier: None,
            tool_scopes: std::collections::BTreeMap::new(),
            authenticator: None,
        }
    }

    /// A definition for tools that check a configuration without knowing the server's code
    /// (the `frontmcp-auth` command): any app id in the configuration is accepted.
    pub fn standalone(name: impl Into<String>) -> Self {
        Self {
            apps: None,
            ..Self::new(name)
        }
    }

    /// Sets the base configuration (what `#[frontmcp(...)]` would say), as JSON with the same
    /// keys as `frontmcp.toml`.
    pub fn with_base(mut self, base: serde_json::Value) -> Self {
        self.base = base;
        self
    }

    /// Adds app `T` (its tools are served) under `id`.
    pub fn app<T: App>(self, id: impl Into<String>) -> Self {
        self.push_app(
            id.into(),
            std::any::type_name::<T>(),
            Some(AppFactory::of::<T>()),
        )
    }

    /// Declares an app id without its tools, so a file or the environment may configure
    /// `apps.<id>` (configuration checks only; nothing is served for it).
    pub fn declare_app(self, id: impl Into<String>, type_name: &'static str) -> Self {
        self.push_app(id.into(), type_name, None)
    }

    fn push_app(
        mut self,
        id: String,
        type_name: &'static str,
        factory: Option<AppFactory>,
    ) -> Self {
        if let serde_json::Value::Object(base) = &mut self.base {
            let apps = base
                .entry("apps")
                .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
            if let serde_json::Value::Object(apps) = apps {
                apps.entry(id.clone())
                    .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
            }
        }
        self.apps.get_or_insert_with(Vec::new).push(AppDeclaration {
            id,
            type_name,
            factory,
        });
        self
    }

    /// Verifies bearer tokens with `verifier` instead of the one the mode builds. In public mode
    /// (which configures no token verification) this is how a sent token is honoured; without
    /// it, a request that sends a token is refused with `invalid_token`.
    pub fn verifier(mut self, verifier: Arc<dyn TokenVerifier>) -> Self {
        self.verifier = Some(verifier);
        self
    }

    /// Requires `scopes` of every call to `tool`: a token without them gets HTTP 403 with
    /// `WWW-Authenticate: Bearer error="insufficient_scope", scope="..."` before the tool runs,
    /// so the client can step up (a tokenless caller gets the 401 challenge).
    #[must_use]
    pub fn tool_scopes<S: Into<String>>(
        mut self,
        tool: impl Into<String>,
        scopes: impl IntoIterator<Item = S>,
    ) -> Self {
        self.tool_scopes
            .insert(tool.into(), scopes.into_iter().map(Into::into).collect());
        self
    }

    /// Signs local-mode users in with `authenticator` (what `login(authenticator = Type)`
    /// says in the attribute). The rulebook is told, so a local-mode auth that names no
    /// `login.authenticator` in any layer counts as `custom`, not as the demo login.
    #[must_use]
    pub fn authenticator(mut self, authenticator: impl crate::login::Authenticator) -> Self {
        self.authenticator = Some(Arc::new(authenticator));
        self
    }

    /// The authenticator given with [`authenticator`](Self::authenticator).
    pub fn authenticator_in_code(&self) -> Option<&Arc<dyn crate::login::Authenticator>> {
        self.authenticator.as_ref()
    }

    /// The scopes each tool requires, as given with [`tool_scopes`](Self::tool_scopes).
    pub fn required_tool_scopes(&self) -> &std::collections::BTreeMap<String, Vec<String>> {
        &self.tool_scopes
    }

    /// The verifier given with [`verifier`](Self::verifier).
    pub fn token_verifier(&self) -> Option<&Arc<dyn TokenVerifier>> {
        self.verifier.as_ref()
    }

    /// The server's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The base configuration layer.
    pub fn base(&self) -> &serde_json::Value {
        &self.base
    }

    /// The declared apps; `None` for a [`standalone`](Self::standalone) definition.
    pub fn apps(&self) -> Option<&[AppDeclaration]> {
        self.apps.as_deref()
    }

    /// The ids of the declared apps; `None` for a standalone definition.
    pub fn declared_apps(&self) -> Option<Vec<String>> {
        self.apps
            .as_ref()
            .map(|apps| apps.iter().map(|a| a.id.clone()).collect())
    }

    /// A loader for this server's layered configuration.
    pub fn loader(&self) -> ConfigLoader {
        ConfigLoader::new(self.clone())
    }
}
