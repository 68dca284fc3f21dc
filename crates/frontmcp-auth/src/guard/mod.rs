//! The bearer guard: a tower [`Layer`](tower::Layer) usable in any axum app.
//!
//! It reads the bearer token (from the `Authorization` header only, never the query string),
//! verifies it, puts an [`AuthContext`] into the request's extensions, and answers failures the
//! MCP way (RFC 6750 and RFC 9728 challenges). Tokenless callers become anonymous sessions where
//! the mode allows it; tools outside `public_access` still need a token.
//!
//! ```no_run
//! use axum::{Router, routing::post};
//! use frontmcp_auth::guard::{AuthContext, Guard};
//!
//! let guard = Guard::builder()
//!     .allow_anonymous(vec!["anonymous".into()], 3600)
//!     .resource_path("/mcp")
//!     .build();
//! let app: Router = Router::new()
//!     .route("/mcp", post(|axum::Extension(auth): axum::Extension<AuthContext>| async move { auth.subject }))
//!     .layer(guard.layer());
//! ```

mod anonymous;
mod challenge;
mod layer;
mod link;
mod rpc;
mod sessions;
mod shared;
mod targets;
pub(crate) mod tool_scopes;

use std::sync::Arc;

pub use anonymous::AnonymousSessions;
pub use layer::{AuthLayer, AuthService};
pub use link::{link_required, takes_url_elicitation};
pub use rpc::RpcTarget;
pub use sessions::McpSessionOwners;
pub use shared::SharedSessions;
pub use tool_scopes::{ToolRoute, ToolRoutes, ToolScopes};

pub use crate::verify::{
    AuthContext, ConnectLinks, Rejection, TokenVerifier, UpstreamAccess, quote, scopes_of,
};

use crate::clock::Clock;
use crate::http::client::TrustedProxies;
use crate::rate_limit::RateLimiter;
use frontmcp_auth_config::ToolAccess;

/// What the guard enforces. Build it with [`Guard::builder`].
pub struct Guard {
    verifier: Option<Arc<dyn TokenVerifier>>,
    anonymous: Option<AnonymousSessions>,
    required_scopes: Vec<String>,
    access: targets::TargetRules,
    rate_limit: Option<RateLimiter>,
    subject_limit: Option<crate::rate_limit::SharedLimit>,
    challenge_scope: Option<String>,
    proxies: TrustedProxies,
    public_url: Option<String>,
    resource_path: String,
    max_body_bytes: usize,
    tool_scopes: ToolScopes,
    mcp_sessions: McpSessionOwners,
    /// Where MCP session records are shared (`http.mcp_sessions = "shared"`).
    shared: Option<Arc<SharedSessions>>,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("verifies_tokens", &self.verifier.is_some())
            .field("anonymous", &self.anonymous.is_some())
            .field("required_scopes", &self.required_scopes)
            .field("access", &self.access)
            .field("resource_path", &self.resource_path)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Guard`].
pub struct GuardBuilder {
    guard: Guard,
    clock: Clock,
    anonymous: Option<(Vec<String>, u64)>,
    rate_limit: Option<u64>,
    tool_scopes: std::collections::BTreeMap<String, Vec<String>>,
    tool_routes: Option<Arc<dyn ToolRoutes>>,
}

impl Guard {
    /// A guard that refuses every request until told what to accept.
    pub fn builder() -> GuardBuilder {
        GuardBuilder {
            guard: Guard {
                verifier: None,
                anonymous: None,
                required_scopes: Vec::new(),
                access: targets::TargetRules::default(),
                rate_limit: None,
                subject_limit: None,
                challenge_scope: None,
                proxies: TrustedProxies::default(),
                public_url: None,
                resource_path: String::from("/mcp"),
                max_body_bytes: 4 * 1024 * 1024,
                tool_scopes: ToolScopes::default(),
                mcp_sessions: McpSessionOwners::default(),
                shared: None,
            },
            clock: Clock::system(),
            anonymous: None,
            rate_limit: None,
            tool_scopes: std::collections::BTreeMap::new(),
            tool_routes: None,
        }
    }

    /// The layer to mount on the protected routes.
    pub fn layer(self) -> AuthLayer {
        AuthLayer::new(Arc::new(self))
    }

    /// The owners of the MCP sessions this guard has seen created.
    pub fn mcp_sessions(&self) -> &McpSessionOwners {
        &self.mcp_sessions
    }

    /// The path of the protected resource's metadata document (RFC 9728, path form).
    pub fn metadata_path(&self) -> String {
        format!(
            "/.well-known/oauth-protected-resource{}",
            self.resource_path
        )
    }
}

impl GuardBuilder {
    /// Verifies bearer tokens with `verifier`.
    pub fn verifier(mut self, verifier: Arc<dyn TokenVerifier>) -> Self {
        self.guard.verifier = Some(verifier);
        self
    }

    /// Lets tokenless requests through as anonymous sessions with `scopes`, lasting `ttl` s.
    pub fn allow_anonymous(mut self, scopes: Vec<String>, ttl: u64) -> Self {
        self.anonymous = Some((scopes, ttl));
        self
    }

    /// Scopes every token must carry (403 `insufficient_scope` otherwise).
    pub fn required_scopes(mut self, scopes: Vec<String>) -> Self {
        self.guard.required_scopes = scopes;
        self
    }

    /// Scopes a call to each named tool requires (403 `insufficient_scope` without them): by
    /// `tool` or `app.tool`, resolved against [`Self::tool_routes`] when given.
    pub fn tool_scopes(mut self, scopes: std::collections::BTreeMap<String, Vec<String>>) -> Self {
        self.tool_scopes = scopes;
        self
    }

    /// The scope a client should ask for, sent in the 401 challenge of a request without a
    /// token (the baseline; tools needing more answer 403 `insufficient_scope` later).
    pub fn challenge_scope(mut self, scopes: &[String]) -> Self {
        self.guard.challenge_scope = (!scopes.is_empty()).then(|| scopes.join(" "));
        self
    }

    /// Limits the requests of each authenticated subject (`security.rate_limits.mcp`), shared
    /// between instances through the store when it can be.
    pub fn subject_limit(mut self, limit: crate::rate_limit::SharedLimit) -> Self {
        self.guard.subject_limit = Some(limit);
        self
    }

    /// The tools the server exposes, so a requirement follows its tool under name-spacing.
    pub fn tool_routes(mut self, routes: Arc<dyn ToolRoutes>) -> Self {
        self.tool_routes = Some(routes);
        self
    }

    /// Tools and prompts anonymous callers may use; the rest answer with the 401 challenge.
    pub fn public_access(mut self, tools: ToolAccess, prompts: ToolAccess) -> Self {
        self.guard.access.public_tools = tools;
        self.guard.access.public_prompts = prompts;
        self
    }

    /// Resources (by URI or URI template) anonymous callers may read; the rest answer with the
    /// 401 challenge.
    pub fn public_resources(mut self, resources: ToolAccess) -> Self {
        self.guard.access.public_resources = resources;
        self
    }

    /// Scopes getting each prompt (by the name clients see) and reading each resource (by URI
    /// or URI template) requires: 403 `insufficient_scope` without them.
    pub fn content_scopes(
        mut self,
        prompts: std::collections::BTreeMap<String, Vec<String>>,
        resources: std::collections::BTreeMap<String, Vec<String>>,
    ) -> Self {
        self.guard.access.prompt_scopes = prompts;
        self.guard.access.resource_scopes = resources;
        self
    }

    /// At most `per_minute` requests per client IP per minute (429 with `Retry-After`).
    pub fn rate_limit(mut self, per_minute: u64) -> Self {
        self.rate_limit = Some(per_minute);
        self
    }

    /// Proxies whose `X-Forwarded-*` headers are believed.
    pub fn trusted_proxies(mut self, proxies: &[String]) -> Self {
        self.guard.proxies = TrustedProxies::new(proxies);
        self
    }

    /// The public base URL (otherwise taken from each request).
    pub fn public_url(mut self, url: Option<String>) -> Self {
        self.guard.public_url = url;
        self
    }

    /// The protected resource's path (`{entry_path}/mcp`), for its metadata URL.
    pub fn resource_path(mut self, path: impl Into<String>) -> Self {
        self.guard.resource_path = path.into();
        self
    }

    /// The largest request body read to find the called tool. Default: 4 MiB.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.guard.max_body_bytes = bytes;
        self
    }

    /// Keeps MCP session records in `shared`, so that any instance serves any session.
    pub fn shared_sessions(mut self, shared: Arc<SharedSessions>) -> Self {
        self.guard.shared = Some(shared);
        self
    }

    /// The clock for session lifetimes and rate-limit windows.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The guard.
    pub fn build(mut self) -> Guard {
        if let Some((scopes, ttl)) = self.anonymous.take() {
            self.guard.anonymous = Some(AnonymousSessions::new(
                scopes,
                ttl,
                100_000,
                self.clock.clone(),
            ));
        }
        if let Some(limit) = self.rate_limit {
            self.guard.rate_limit = Some(RateLimiter::new(limit, 60, self.clock.clone()));
        }
        self.guard.tool_scopes = ToolScopes::new(self.tool_scopes, self.tool_routes);
        self.guard
    }
}
