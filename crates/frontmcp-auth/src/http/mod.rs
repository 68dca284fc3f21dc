//! The HTTP surface: router assembly, discovery documents, host and origin checks, security
//! headers, client addresses and rate limits.

mod app_checks;
mod authorization;
pub mod client;
pub mod cors;
mod discovery;
mod edge;
pub(crate) mod event_ids;
pub mod hardening;
mod headers;
mod health;
pub(crate) mod mcp_sessions;
mod origin;
mod router;

pub use app_checks::{check_apps, check_tool_scopes};
pub use discovery::protected_resource_metadata;
pub use origin::{HostPolicy, host_policy};
pub use router::{RouterOptions, build_router, transparent_verifier};
