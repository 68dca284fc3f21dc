//! The entry points a server calls: load the configuration, build the router, serve.

use std::future::Future;
use std::net::SocketAddr;

use crate::Error;
use crate::config::LoadedConfig;
use crate::definition::ServerDefinition;
use crate::http::RouterOptions;

/// A server whose configuration is known to the code: what `#[frontmcp(...)]` implements.
///
/// Every method has a default built on [`FrontMcpServer::definition`], so a hand-written
/// implementation only provides that.
pub trait FrontMcpServer {
    /// The server's code-level definition (name, base configuration, apps).
    fn definition() -> ServerDefinition;

    /// Loads the layered configuration: the attribute < `frontmcp.toml` (or `FRONTMCP_CONFIG`)
    /// < `FRONTMCP_*` env < the seeds' variables, and runs the rulebook on it.
    ///
    /// # Errors
    ///
    /// Returns every violation, each with where its value came from.
    fn load_config() -> Result<LoadedConfig, Error> {
        Ok(Self::definition().loader().load()?)
    }

    /// Builds the HTTP router of this server.
    ///
    /// # Errors
    ///
    /// Fails when the configuration is refused, or cannot be served by this version.
    fn router() -> Result<axum::Router, Error> {
        router(&Self::load_config()?, &Self::definition())
    }

    /// Loads the configuration, then binds and serves.
    ///
    /// # Errors
    ///
    /// Fails when the configuration is refused, cannot be served by this version, or the
    /// listener cannot be bound.
    fn serve() -> impl Future<Output = Result<(), Error>> + Send {
        async { serve(Self::load_config()?, Self::definition()).await }
    }
}

/// Builds the router for a loaded configuration.
///
/// # Errors
///
/// [`Error::NotYetServed`] for a mode this version does not serve yet.
pub fn router(loaded: &LoadedConfig, definition: &ServerDefinition) -> Result<axum::Router, Error> {
    crate::http::build_router(loaded, definition, RouterOptions::default())
}

/// Binds `http.host:http.port` and serves until Ctrl-C.
///
/// # Errors
///
/// As [`router`], or when the address cannot be bound.
pub async fn serve(loaded: LoadedConfig, definition: ServerDefinition) -> Result<(), Error> {
    crate::logging::init(&loaded.config.logging);
    for note in &loaded.notes {
        tracing::info!(target: "frontmcp_auth::config", "{note}");
    }
    let auth = loaded.config.effective_auth();
    let mut options = RouterOptions::default();
    let mut setup_notice = None;
    if auth.mode == frontmcp_auth_config::AuthMode::Local {
        let store = crate::store::open(&auth.token_storage, &options.clock)?;
        store.ping().await?;
        let login = crate::login::Login::build(
            &auth,
            definition.authenticator_in_code().cloned(),
            store.clone(),
            options.clock.clone(),
            loaded.config.http.public_url.as_deref(),
        )?;
        setup_notice = login.setup_notice().await;
        options.store = Some(store);
    }
    crate::http::check_apps(&loaded, &definition).await?;
    let router = crate::http::build_router(&loaded, &definition, options)?;
    let address = format!("{}:{}", loaded.config.http.host, loaded.config.http.port);
    let listener = tokio::net::TcpListener::bind(&address).await?;
    let local = listener.local_addr()?;
    let entry = &loaded.config.http.entry_path;
    if loaded.config.split_by_app {
        for app in &loaded.config.apps {
            let mode = app.auth.as_ref().map_or("public", |a| a.mode.as_str());
            println!(
                "{} {} serving MCP at http://{local}{entry}/{}/mcp (app {}, {mode} mode)",
                loaded.config.info.name, loaded.config.info.version, app.id, app.id
            );
        }
    } else {
        println!(
            "{} {} serving MCP at http://{local}{entry}/mcp ({} mode)",
            loaded.config.info.name,
            loaded.config.info.version,
            auth.mode.as_str()
        );
    }
    if auth.mode == frontmcp_auth_config::AuthMode::Local {
        println!("token storage: {}", describe_storage(&auth.token_storage));
        println!(
            "connect an MCP client to http://{local}{entry}/mcp: it discovers this server's OAuth endpoints, registers itself and opens the login page (http://{local}{entry}/oauth/authorize)"
        );
        if let Some(notice) = &setup_notice {
            println!("NO USERS YET: {notice}");
        }
        if auth.local.sign_key.is_none() && auth.local.jwt_secret.is_none() {
            eprintln!(
                "WARNING: no signing key configured; a temporary key was generated and every token dies when this process stops. Set JWT_SECRET (32+ bytes) or JWT_SIGNING_KEY (`frontmcp-auth keygen`)."
            );
        }
    }
    serve_router(listener, router, shutdown_signal()).await
}

/// Serves `router` on `listener` until `shutdown` completes, with each peer's address
/// available to the guard (rate limits, trusted proxies).
///
/// Every accepted socket gets `TCP_NODELAY`: a streamed MCP response is written in pieces, and
/// with Nagle's algorithm the second piece waits for the client's delayed acknowledgement of the
/// first (about 40 ms on every call).
///
/// # Errors
///
/// I/O failures of the listener.
pub async fn serve_router(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|stream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::warn!(target: "frontmcp_auth::http", "cannot set TCP_NODELAY: {error}");
        }
    });
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    Ok(())
}

fn describe_storage(storage: &frontmcp_auth_config::TokenStorage) -> String {
    use frontmcp_auth_config::TokenStorage;
    match storage {
        TokenStorage::Memory => String::from("memory (lost when this process stops)"),
        TokenStorage::Sqlite(sqlite) => format!(
            "sqlite file {}{}",
            sqlite.path,
            if sqlite.encryption.is_some() {
                ", encrypted at rest"
            } else {
                ""
            }
        ),
        TokenStorage::Redis(redis) => format!(
            "redis at {}:{} db {} prefix {:?}{}",
            redis.host,
            redis.port,
            redis.db,
            redis.key_prefix,
            if redis.tls { " over TLS" } else { "" }
        ),
    }
}

/// Ctrl-C or, on Unix, SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
