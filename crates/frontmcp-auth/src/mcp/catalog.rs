//! The server's catalog: what the consent screen offers and what a token's `consent` claim
//! may name. The composed server implements it; the authorization server reads it.

use futures::future::BoxFuture;

/// What a catalog entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogKind {
    /// A tool, named as clients see it.
    Tool,
    /// A prompt, named `prompt:{name}`.
    Prompt,
    /// A resource or resource template, named `resource:{uri}`.
    Resource,
}

/// One tool, prompt or resource the consent screen can offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogTool {
    /// The app it belongs to.
    pub app: String,
    /// What it is.
    pub kind: CatalogKind,
    /// Its consent entry: a tool's name as clients see it, `prompt:{name}` or `resource:{uri}`.
    pub name: String,
    /// Its description.
    pub description: Option<String>,
}

/// The server's tools, prompts and resources, as the consent screen lists them.
pub trait ToolCatalog: Send + Sync {
    /// Every tool, prompt and resource of every app.
    fn tools(&self) -> BoxFuture<'_, Result<Vec<CatalogTool>, String>>;
}
