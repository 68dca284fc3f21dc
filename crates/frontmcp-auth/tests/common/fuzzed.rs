//! The server the HTTP fuzzer runs against (`tests/http_fuzz.rs`, `benches/http_fuzz.rs`):
//! local mode with the math app, the consent screen, the admin endpoint and metrics.

use std::net::SocketAddr;

use frontmcp_auth::ServerDefinition;
use frontmcp_auth_testkit::fuzz::seeds::Target;
use serde_json::{Value, json};

use super::apps::MathApp;
use super::local::{Local, SECRET};

/// The admin endpoint's credential.
pub const ADMIN: &str = "fuzz-admin-credential-0123456789abcdef";

/// Starts the server with `security` (beside the admin credential): the server, what the
/// fuzzer needs to know of it, and its address.
pub async fn start(security: Value) -> (Local, Target, SocketAddr) {
    let mut security = security;
    if let Some(map) = security.as_object_mut() {
        map.insert("admin_token".into(), json!(ADMIN));
    }
    let definition = ServerDefinition::new("Fuzzed")
        .with_base(json!({
            "auth": {"mode": "local", "local": {"jwt_secret": SECRET}, "consent": {"enabled": true}},
            "security": security,
        }))
        .app::<MathApp>("math");
    let local = Local::start_definition(&definition, &[]).await;
    let target = Target {
        base: local.base(),
        mcp_path: String::from("/mcp"),
        tool: (String::from("add"), json!({"a": 1, "b": 2})),
        admin_token: Some(ADMIN.to_owned()),
    };
    let addr = local
        .base()
        .trim_start_matches("http://")
        .parse()
        .expect("a loopback address");
    (local, target, addr)
}
