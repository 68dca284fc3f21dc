use frontmcp_auth::prelude::*;

use frontmcp_auth_ui_tests::{AnalyticsApp, BillingApp};

#[frontmcp(
    info(name = "LocalServer", version = "1.0.0"),
    apps(BillingApp, AnalyticsApp(id = "analytics")),
    http(port = 8080, entry_path = "/api"),
    auth(
        mode = "local",
        session_mode = "stateful",
        token_storage(sqlite(path = "auth.db", wal_mode = true, ttl_cleanup_interval = 60)),
        local(jwt_secret = env("JWT_SECRET"), issuer = "https://mcp.example.com", max_keys = 3),
        refresh(access_token_ttl = 900, refresh_token_ttl = 604800, rotate_refresh_token = true),
        consent(enabled = true, group_by_app = true, excluded_tools = ["ping"], default_selected_tools = ["invoices_list"]),
        incremental_auth(enabled = true, skipped_app_behavior = "anonymous", allow_skip = true),
        dcr(enabled = true, allowed_redirect_uris = ["http://127.0.0.1:*/callback"], max_dynamic_clients = 100, client_ttl = 86400),
        cimd(enabled = true, fetch_timeout_seconds = 5),
        pkce(method = "S256"),
        require_email = false,
        anonymous_subject = "operator",
    ),
)]
struct Server;

fn main() {
    let definition = Server::definition();
    let ids: Vec<&str> = definition.apps().unwrap_or_default().iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["billing_app", "analytics"]);
    assert_eq!(definition.base()["auth"]["local"]["jwt_secret"]["$env"], "JWT_SECRET");
}
