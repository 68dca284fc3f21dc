//! Compile-time checks of `#[frontmcp(...)]`; the cases live in `fail/` and `pass/`.
//!
//! The apps below are shared by the `pass/` cases: each is an rmcp tool router.

use frontmcp_auth::AuthContext;
use rmcp::{tool, tool_router};

/// Billing tools.
#[derive(Debug, Clone, Default)]
pub struct BillingApp;

#[tool_router(server_handler)]
impl BillingApp {
    /// Lists invoices.
    #[tool(description = "List the caller's invoices")]
    async fn list_invoices(&self, auth: AuthContext) -> String {
        format!("invoices of {}", auth.subject)
    }
}

/// Analytics tools.
#[derive(Debug, Clone, Default)]
pub struct AnalyticsApp;

#[tool_router(server_handler)]
impl AnalyticsApp {
    /// Reports a count.
    #[tool(description = "Count page views")]
    async fn page_views(&self) -> String {
        "42".to_owned()
    }
}
