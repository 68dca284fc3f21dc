//! MCP integration: apps of rmcp tools composed into one server behind the guard.

mod app;
mod compose;

pub use app::{App, AppFactory};
pub use compose::ComposedServer;
