//! MCP integration: apps of rmcp tools composed into one server behind the guard.

mod app;
mod catalog;
mod compose;

pub use app::{App, AppFactory};
pub use catalog::{CatalogTool, ToolCatalog};
pub use compose::ComposedServer;
