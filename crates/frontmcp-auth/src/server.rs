//! The entry points a server calls: load the configuration, build the router, serve.

use std::future::Future;

use crate::Error;
use crate::config::LoadedConfig;
use crate::definition::ServerDefinition;

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
        router(&Self::load_config()?)
    }

    /// Loads the configuration, then binds and serves.
    ///
    /// # Errors
    ///
    /// Fails when the configuration is refused, cannot be served by this version, or the
    /// listener cannot be bound.
    fn serve() -> impl Future<Output = Result<(), Error>> + Send {
        async { serve(Self::load_config()?).await }
    }
}

/// Builds the router for a loaded configuration.
///
/// This version validates and loads every option; the HTTP surface (MCP transport, guard,
/// discovery, authorization server) is not part of it yet, so this answers
/// [`Error::NotYetServed`] naming the mode.
///
/// # Errors
///
/// [`Error::NotYetServed`] in this version.
pub fn router(loaded: &LoadedConfig) -> Result<axum::Router, Error> {
    let mode = loaded.config.effective_auth().mode;
    Err(Error::NotYetServed {
        what: format!(
            "the MCP transport and the {} mode guard are not part of this version",
            mode.as_str()
        ),
    })
}

/// Serves a loaded configuration.
///
/// # Errors
///
/// As [`router`].
pub async fn serve(loaded: LoadedConfig) -> Result<(), Error> {
    for note in &loaded.notes {
        tracing::info!(target: "frontmcp_auth::config", "{note}");
    }
    let _router = router(&loaded)?;
    Ok(())
}
