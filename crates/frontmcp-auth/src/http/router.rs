//! Assembles the server's routes from its loaded configuration: `{entry_path}/mcp` behind the
//! guard, the discovery documents, and the host/origin check in front of everything.

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::response::IntoResponse;
use axum::routing::get;
use rmcp::transport::streamable_http_server::session::{EventStore, SessionStore};
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use super::client::{TrustedProxies, base_url};
use super::discovery::protected_resource_metadata;
use super::mcp_sessions::{BoundSessions, StoredEvents, StoredSessions};
use super::origin::host_policy;
use crate::Error;
use crate::clock::Clock;
use crate::config::LoadedConfig;
use crate::definition::ServerDefinition;
use crate::guard::{Guard, SharedSessions, TokenVerifier};
use crate::mcp::ComposedServer;
use crate::oauth::{AuthorizationServer, LocalVerifier};
use crate::rate_limit::SharedLimit;
use crate::store::Store;
use crate::upstream::{HttpFetcher, JwksCache, JwksOptions, JwksSource, TransparentVerifier};
use frontmcp_auth_config::{AuthConfig, AuthMode, McpSessions};

/// What the router is built with besides the configuration.
#[derive(Clone, Default)]
pub struct RouterOptions {
    /// The clock (sessions, rate limits, key caches). Default: the system clock.
    pub clock: Clock,
    /// A token verifier to use instead of the one the mode builds (public mode has none).
    pub verifier: Option<Arc<dyn TokenVerifier>>,
    /// The HTTP client for JWKS and discovery. Default: 5 s timeout, 256 KiB cap.
    pub fetcher: Option<HttpFetcher>,
    /// JWKS cache timings.
    pub jwks: JwksOptions,
    /// The authorization server's store (local mode). Default: the configured `token_storage`.
    pub store: Option<Arc<dyn Store>>,
}

impl std::fmt::Debug for RouterOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouterOptions")
            .field("clock", &self.clock)
            .field("verifier", &self.verifier.is_some())
            .finish_non_exhaustive()
    }
}

/// Builds the router of a server: one scope at `http.entry_path` with the server-level auth, or,
/// with `split_by_app`, one scope per app at `{entry_path}/{app_id}` with the app's own auth,
/// discovery documents and (local mode) authorization server.
///
/// # Errors
///
/// [`Error::NotYetServed`] for what this version cannot serve yet;
/// [`Error::Keys`] when a signing key cannot be loaded; [`Error::Storage`] when a configured
/// token storage cannot be opened.
pub fn build_router(
    loaded: &LoadedConfig,
    definition: &ServerDefinition,
    options: RouterOptions,
) -> Result<Router, Error> {
    let config = &loaded.config;
    let pages = Arc::new(
        crate::ui::Pages::load(config.ui.templates_dir.as_deref().map(std::path::Path::new))
            .map_err(Error::Templates)?,
    );
    let mut router = Router::new();
    // The stores the scopes use: `/readyz` pings them.
    let mut stores: Vec<Arc<dyn Store>> = Vec::new();
    let mut hardening = super::hardening::Hardening::new(
        &config.security,
        &config.http.trusted_proxies,
        options.clock.clone(),
    );
    if config.split_by_app {
        for app in &config.apps {
            let Some(auth) = app.auth.clone() else {
                return Err(Error::NotYetServed {
                    what: format!("app `{}` has no auth of its own under split_by_app", app.id),
                });
            };
            let scope = Scope {
                auth,
                entry_path: format!("{}/{}", config.http.entry_path, app.id),
                app_ids: vec![app.id.clone()],
                root_metadata: false,
            };
            let options = RouterOptions {
                verifier: None,
                store: None,
                ..options.clone()
            };
            let (scoped, store) =
                build_scope(loaded, definition, &scope, options, &mut hardening, &pages)?;
            stores.extend(store);
            router = router.merge(scoped);
        }
    } else {
        let scope = Scope {
            auth: config.effective_auth(),
            entry_path: config.http.entry_path.clone(),
            app_ids: Vec::new(),
            root_metadata: true,
        };
        let mut options = options;
        if options.verifier.is_none() {
            options.verifier = definition.token_verifier().cloned();
        }
        let (scoped, store) =
            build_scope(loaded, definition, &scope, options, &mut hardening, &pages)?;
        stores.extend(store);
        router = scoped;
    }
    let metrics = Arc::new(MetricsAccess {
        token: config.security.metrics_token.clone(),
        loopback_only: config.security.is_production(),
        proxies: TrustedProxies::new(&config.http.trusted_proxies),
    });
    let router = super::health::routes(router, stores).route(
        "/metrics",
        get(move |request: Request| serve_metrics(metrics.clone(), request)),
    );
    let edge = Arc::new(super::edge::Edge {
        headers: super::headers::SecurityHeaders::new(
            config.http.public_url.clone(),
            TrustedProxies::new(&config.http.trusted_proxies),
        ),
        policy: host_policy(&config.http).with_cors_origins(&config.security.cors.allowed_origins),
        hardening,
        cors: super::cors::Cors::new(&config.security.cors),
    });
    Ok(
        router.layer(axum::middleware::from_fn(move |request, next| {
            super::edge::Edge::middleware(edge.clone(), request, next)
        })),
    )
}

/// One auth scope: an entry path, its auth, and the apps served there (all when empty).
struct Scope {
    auth: AuthConfig,
    entry_path: String,
    app_ids: Vec<String>,
    root_metadata: bool,
}

fn build_scope(
    loaded: &LoadedConfig,
    definition: &ServerDefinition,
    scope: &Scope,
    mut options: RouterOptions,
    hardening: &mut super::hardening::Hardening,
    pages: &Arc<crate::ui::Pages>,
) -> Result<(Router, Option<Arc<dyn Store>>), Error> {
    let config = &loaded.config;
    let auth = scope.auth.clone();
    let resource_path = format!("{}/mcp", scope.entry_path);
    let apps: Vec<_> = definition
        .apps()
        .unwrap_or_default()
        .iter()
        .filter(|app| scope.app_ids.is_empty() || scope.app_ids.contains(&app.id))
        .filter_map(|app| app.factory.as_ref().map(|f| (app.id.clone(), (f.0)())))
        .collect();
    let app_ids: Vec<String> = apps.iter().map(|(id, _)| id.clone()).collect();
    let composed = ComposedServer::new(&config.info.name, &config.info.version, apps)
        .with_anonymous_scopes(auth.anonymous_scopes.clone())
        .with_public_access(&auth.public_access);
    let unserved = composed.unserved();
    if !unserved.is_empty() {
        return Err(Error::NotYetServed {
            what: unserved.join("; "),
        });
    }
    let tool_scopes = tool_scopes(definition, config);
    let mut required_scopes: Vec<String> = Vec::new();
    for scope in tool_scopes
        .values()
        .chain(config.prompt_scopes.values())
        .chain(config.resource_scopes.values())
        .flatten()
    {
        if !required_scopes.contains(scope) {
            required_scopes.push(scope.clone());
        }
    }
    let mut shared_store: Option<Arc<dyn Store>> = None;
    let authorization = match auth.mode {
        AuthMode::Local => {
            let store = match options.store.clone() {
                Some(store) => store,
                None => crate::store::open(&auth.token_storage, &options.clock)?,
            };
            hardening.limit_authorization_server(
                &config.security,
                &scope.entry_path,
                store.clone(),
            );
            shared_store = Some(store.clone());
            let login = crate::login::Login::build(
                &auth,
                definition.authenticator_in_code().cloned(),
                store.clone(),
                options.clock.clone(),
                config.http.public_url.as_deref(),
            )?;
            let federation = crate::upstream::Federation::build(
                &auth,
                store.clone(),
                options.clock.clone(),
                options.fetcher.clone().unwrap_or_default(),
            )
            .map_err(|what| Error::Unservable { what })?;
            let mut server =
                AuthorizationServer::new(&auth, &scope.entry_path, store, options.clock.clone())?
                    .with_login(Arc::new(login))
                    .with_catalog(Arc::new(composed.clone()))
                    .with_apps(app_ids)
                    .with_security(config.security.clone())
                    .with_tool_scopes(required_scopes.clone());
            if let Some(federation) = federation {
                federation.warm_up();
                server = server.with_federation(Arc::new(federation));
            }
            let server = Arc::new(server);
            let fallback = config
                .http
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{}:{}", config.http.host, config.http.port));
            if options.verifier.is_none() {
                options.verifier = Some(Arc::new(LocalVerifier::new(server.clone(), fallback)));
            }
            Some(server)
        }
        AuthMode::Remote => {
            let store = match options.store.clone() {
                Some(store) => store,
                None => crate::store::open(&auth.token_storage, &options.clock)?,
            };
            hardening.limit_authorization_server(
                &config.security,
                &scope.entry_path,
                store.clone(),
            );
            shared_store = Some(store.clone());
            let remote = crate::upstream::RemoteProvider::build(
                &auth,
                store.clone(),
                options.clock.clone(),
                options.fetcher.clone().unwrap_or_default(),
            )
            .map_err(|what| Error::NotYetServed { what })?;
            let server = Arc::new(
                AuthorizationServer::new(&auth, &scope.entry_path, store, options.clock.clone())?
                    .with_remote(Arc::new(remote))
                    .with_catalog(Arc::new(composed.clone()))
                    .with_apps(app_ids)
                    .with_security(config.security.clone())
                    .with_tool_scopes(required_scopes.clone()),
            );
            let fallback = config
                .http
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{}:{}", config.http.host, config.http.port));
            if options.verifier.is_none() {
                options.verifier = Some(Arc::new(LocalVerifier::new(server.clone(), fallback)));
            }
            Some(server)
        }
        _ => None,
    };
    hardening.limit_resource(&config.security, &resource_path, shared_store.clone());
    let mut guard = guard_for(&auth, &options)?;
    if config.security.rate_limits_on() && config.security.rate_limits.mcp.limit > 0 {
        guard = guard.subject_limit(SharedLimit::new(
            "mcp-subject",
            config.security.rate_limits.mcp,
            shared_store.clone(),
            options.clock.clone(),
        ));
    }
    let baseline = match auth.mode {
        AuthMode::Local | AuthMode::Remote => {
            crate::oauth::scope::ScopePolicy::new(&auth.scopes_supported, &[], false).baseline
        }
        AuthMode::Transparent => auth.required_scopes.clone(),
        AuthMode::Public => Vec::new(),
    };
    let ready_store = shared_store.clone();
    let shared_sessions = (config.http.mcp_sessions == McpSessions::Shared)
        .then(|| Arc::new(SharedSessions::new(shared_store, options.clock.clone())));
    if let Some(shared) = &shared_sessions {
        guard = guard.shared_sessions(shared.clone());
    }
    let guard = guard
        .challenge_scope(&baseline)
        .trusted_proxies(&config.http.trusted_proxies)
        .public_url(config.http.public_url.clone())
        .resource_path(resource_path.clone())
        .tool_scopes(tool_scopes)
        .tool_routes(Arc::new(composed.clone()))
        .content_scopes(config.prompt_scopes.clone(), config.resource_scopes.clone())
        .clock(options.clock.clone())
        .build();
    let metadata_path = guard.metadata_path();
    let events = shared_sessions
        .as_ref()
        .filter(|shared| shared.keeps_events())
        .map(|shared| {
            Arc::new(StoredEvents(shared.clone(), Default::default())) as Arc<dyn EventStore>
        });
    let sessions = Arc::new(BoundSessions::new(events, shared_sessions.clone()));
    let transport = Arc::clone(&sessions);
    guard.mcp_sessions().set_closer(Arc::new(move |id: String| {
        let transport = Arc::clone(&transport);
        tokio::spawn(async move {
            use rmcp::transport::streamable_http_server::session::SessionManager;
            let _ = transport.close_session(&id.into()).await;
        });
    }));
    let mut transport_config = StreamableHttpServerConfig::default().disable_allowed_hosts();
    transport_config.session_store =
        shared_sessions.map(|shared| Arc::new(StoredSessions(shared)) as Arc<dyn SessionStore>);
    let mcp = StreamableHttpService::new(move || Ok(composed.clone()), sessions, transport_config);
    let guarded = tower::ServiceBuilder::new()
        .layer(guard.layer())
        .service(mcp);

    let document = Arc::new(Discovery {
        public_url: config.http.public_url.clone(),
        proxies: TrustedProxies::new(&config.http.trusted_proxies),
        resource_path: resource_path.clone(),
        name: config.info.name.clone(),
        auth,
        required_scopes,
    });
    let mut router = Router::new().route_service(&resource_path, guarded).route(
        &metadata_path,
        get({
            let document = document.clone();
            move |request: Request| serve_metadata(document.clone(), request)
        }),
    );
    if scope.root_metadata {
        router = router.route(
            "/.well-known/oauth-protected-resource",
            get(move |request: Request| serve_metadata(document.clone(), request)),
        );
    }
    if let Some(server) = authorization {
        router = router.merge(super::authorization::authorization_routes(
            server,
            config.http.public_url.clone(),
            &config.http.trusted_proxies,
            pages.clone(),
        ));
    }
    Ok((router, ready_store))
}

/// The per-tool scope requirements: those set in code, with the configuration's added.
pub(super) fn tool_scopes(
    definition: &ServerDefinition,
    config: &frontmcp_auth_config::ServerConfig,
) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut scopes = definition.required_tool_scopes().clone();
    for (tool, required) in &config.tool_scopes {
        let entry = scopes.entry(tool.clone()).or_default();
        for scope in required {
            if !entry.contains(scope) {
                entry.push(scope.clone());
            }
        }
    }
    scopes
}

fn guard_for(
    auth: &AuthConfig,
    options: &RouterOptions,
) -> Result<crate::guard::GuardBuilder, Error> {
    let mut builder = Guard::builder();
    match auth.mode {
        AuthMode::Public => {
            builder = builder
                .allow_anonymous(auth.anonymous_scopes.clone(), auth.session_ttl)
                .public_access(
                    auth.public_access.tools.clone(),
                    auth.public_access.prompts.clone(),
                )
                .public_resources(auth.public_access.resources.clone())
                .rate_limit(auth.public_access.rate_limit);
            if let Some(verifier) = &options.verifier {
                builder = builder.verifier(verifier.clone());
            }
        }
        AuthMode::Transparent => {
            let verifier: Arc<dyn TokenVerifier> = match &options.verifier {
                Some(verifier) => verifier.clone(),
                None => Arc::new(transparent_verifier(auth, options)),
            };
            builder = builder
                .verifier(verifier)
                .required_scopes(auth.required_scopes.clone());
            if auth.allow_anonymous {
                builder = builder.allow_anonymous(auth.anonymous_scopes.clone(), 3600);
            }
        }
        AuthMode::Local | AuthMode::Remote => {
            let verifier = options
                .verifier
                .clone()
                .ok_or_else(|| Error::NotYetServed {
                    what: format!("{} mode without its token verifier", auth.mode.as_str()),
                })?;
            builder = builder.verifier(verifier);
            if auth.allow_default_public {
                builder = builder.allow_anonymous(auth.anonymous_scopes.clone(), 3600);
            }
        }
    }
    Ok(builder)
}

/// The transparent-mode verifier for `auth`: keys inline, from `jwks_uri`, or discovered.
pub fn transparent_verifier(auth: &AuthConfig, options: &RouterOptions) -> TransparentVerifier {
    let provider = auth.provider.clone().unwrap_or_default();
    let source = match (&auth.provider_config.jwks, &auth.provider_config.jwks_uri) {
        (Some(jwks), _) => JwksSource::Inline(crate::upstream::keys_from_jwks(jwks)),
        (None, Some(uri)) => JwksSource::Uri(uri.clone()),
        (None, None) => JwksSource::Discover(provider.clone()),
    };
    let fetcher = options.fetcher.clone().unwrap_or_default();
    let cache = Arc::new(JwksCache::new(
        source,
        fetcher,
        options.jwks,
        options.clock.clone(),
    ));
    let mut issuers = vec![provider];
    issuers.extend(auth.provider_config.additional_issuers.iter().cloned());
    TransparentVerifier::new(cache, issuers, auth.expected_audience.clone())
        .verify_issuer(auth.provider_config.verify_issuer)
        .require_audience(auth.require_audience)
        .clock(options.clock.clone())
}

/// Who may read `/metrics`.
struct MetricsAccess {
    token: Option<frontmcp_auth_config::Secret>,
    loopback_only: bool,
    proxies: TrustedProxies,
}

/// `GET /metrics`: Prometheus text (see [`crate::metrics`]). With `security.metrics_token`
/// it needs that bearer credential; without one, the production profile serves it to
/// loopback clients only.
async fn serve_metrics(access: Arc<MetricsAccess>, request: Request) -> axum::response::Response {
    let (parts, _) = request.into_parts();
    let allowed = match &access.token {
        Some(token) => parts
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| crate::secrets::constant_time_eq(given.trim(), token.expose())),
        None if access.loopback_only => {
            super::client::client_ip(&parts, &access.proxies).is_some_and(|ip| ip.is_loopback())
        }
        None => true,
    };
    if !allowed {
        return (
            http::StatusCode::UNAUTHORIZED,
            [(http::header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")],
            "the metrics need the metrics credential\n",
        )
            .into_response();
    }
    (
        [(
            http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::metrics::render(),
    )
        .into_response()
}

struct Discovery {
    public_url: Option<String>,
    proxies: TrustedProxies,
    resource_path: String,
    name: String,
    auth: AuthConfig,
    required_scopes: Vec<String>,
}

async fn serve_metadata(document: Arc<Discovery>, request: Request) -> axum::response::Response {
    let (parts, _) = request.into_parts();
    let base = base_url(&parts, document.public_url.as_deref(), &document.proxies);
    let body = protected_resource_metadata(
        &base,
        &document.resource_path,
        &document.name,
        &document.auth,
        &document.required_scopes,
    );
    (
        [(http::header::CACHE_CONTROL, "max-age=300")],
        axum::Json(body),
    )
        .into_response()
}
