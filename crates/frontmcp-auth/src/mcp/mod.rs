//! MCP integration: apps (rmcp handlers) composed into one server behind the guard.

mod app;
mod catalog;
mod compose;
pub mod gates;
mod handler;
mod names;
mod resources;
mod uri_template;

pub use app::{App, AppFactory};
pub use catalog::{CatalogKind, CatalogTool, ToolCatalog};
pub use compose::ComposedServer;
pub use gates::{AUTHORIZATION_REQUIRED, TOOL_NOT_CONSENTED};
