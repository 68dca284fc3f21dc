//! The server's tool catalog: what the consent screen offers and what a token's `consent` claim
//! may name. The composed server implements it; the authorization server reads it.

use futures::future::BoxFuture;

/// One tool the consent screen can offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogTool {
    /// The app it belongs to.
    pub app: String,
    /// Its name as clients see it.
    pub name: String,
    /// Its description.
    pub description: Option<String>,
}

/// The server's tools, as the consent screen lists them.
pub trait ToolCatalog: Send + Sync {
    /// Every tool of every app.
    fn tools(&self) -> BoxFuture<'_, Result<Vec<CatalogTool>, String>>;
}
