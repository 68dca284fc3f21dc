//! Per-tool scopes: a tool may require scopes; a call with a token that lacks them gets HTTP 403
//! with `WWW-Authenticate: Bearer error="insufficient_scope", scope="..."` before the tool
//! runs, so the client can step up.

mod common;

use common::local::{Local, VERIFIER, definition};
use common::mcp::{Client, text_of};
use serde_json::json;

/// A token for `scope` through the whole local flow.
async fn token(local: &Local, scope: &str) -> String {
    let client_id = local.public_client().await;
    let page = local.authorize(&client_id, &[("scope", scope)]).await;
    let done = local.login(&page, "ada@example.com").await;
    let code = done.location_param("code").expect("code");
    let reply = local.exchange(&client_id, &code, VERIFIER).await;
    reply.json()["access_token"]
        .as_str()
        .expect("access")
        .to_owned()
}

#[tokio::test]
async fn a_tool_refuses_a_token_without_its_scopes_before_running() {
    let server = definition(json!({})).tool_scopes("add", ["math:write"]);
    let local = Local::start_definition(&server, &[]).await;
    let plain = token(&local, "profile").await;

    let mut mcp = Client::new(local.url("/mcp")).with_token(&plain);
    assert_eq!(mcp.initialize().await.status, 200, "other methods pass");
    assert_eq!(
        text_of(&mcp.call("echo", json!({"text": "hi"})).await),
        "hi"
    );
    let refused = mcp.call("add", json!({"a": 1, "b": 2})).await;
    assert_eq!(refused.status, 403);
    let challenge = refused.header("www-authenticate").expect("challenge");
    assert!(
        challenge.starts_with("Bearer error=\"insufficient_scope\", scope=\"math:write\""),
        "{challenge}"
    );
    assert!(challenge.contains("resource_metadata="), "{challenge}");

    // Headers naming another tool do not cover a body that calls this one.
    let mut spoofing = Client::new(local.url("/mcp"))
        .with_token(&plain)
        .with_header("mcp-method", "tools/call")
        .with_header("mcp-name", "echo");
    spoofing.initialize().await;
    assert_eq!(
        spoofing.call("add", json!({"a": 1, "b": 2})).await.status,
        403
    );
    // A header naming the tool is enough to refuse it, whatever the body.
    let mut named = Client::new(local.url("/mcp"))
        .with_token(&plain)
        .with_header("mcp-name", "add")
        .with_header("mcp-method", "tools/call");
    assert_eq!(named.initialize().await.status, 403);

    let stepped_up = token(&local, "profile math:write").await;
    let mut mcp = Client::new(local.url("/mcp")).with_token(&stepped_up);
    mcp.initialize().await;
    assert_eq!(
        text_of(&mcp.call("add", json!({"a": 1, "b": 2})).await),
        "3"
    );
}

/// Math and billing, whose `status` tools are exposed as `math.status` and `billing.status`,
/// with `top` beside the local-mode auth.
fn two_apps(top: serde_json::Value) -> frontmcp_auth::ServerDefinition {
    let mut base =
        json!({"auth": {"mode": "local", "local": {"jwt_secret": common::local::SECRET}}});
    if let (Some(base), Some(top)) = (base.as_object_mut(), top.as_object()) {
        for (key, value) in top {
            base.insert(key.clone(), value.clone());
        }
    }
    frontmcp_auth::ServerDefinition::new("ScopedApps")
        .with_base(base)
        .app::<common::apps::MathApp>("math")
        .app::<common::apps::BillingApp>("billing")
}

#[tokio::test]
async fn a_requirement_follows_its_tool_under_name_spacing_from_code_and_configuration() {
    // In code for one app's `status`; in configuration for math's `add`, written per app.
    let server = two_apps(json!({"tool_scopes": {"math": {"add": ["math:write"]}}}))
        .tool_scopes("billing.status", ["billing:read"]);
    let local = Local::start_definition(&server, &[]).await;
    let plain = token(&local, "profile").await;
    let mut mcp = Client::new(local.url("/mcp")).with_token(&plain);
    assert_eq!(mcp.initialize().await.status, 200);
    let tools = mcp.tool_names().await;
    assert!(tools.contains(&"billing.status".to_owned()), "{tools:?}");
    let refused = mcp.call("billing.status", json!({})).await;
    assert_eq!(
        refused.status, 403,
        "the requirement follows the tool under its app prefix"
    );
    assert!(
        refused
            .header("www-authenticate")
            .is_some_and(|c| c.contains("scope=\"billing:read\"")),
        "{:?}",
        refused.headers
    );
    assert_eq!(
        text_of(&mcp.call("math.status", json!({})).await),
        "math ok"
    );
    assert_eq!(mcp.call("add", json!({"a": 1, "b": 2})).await.status, 403);

    let scoped = token(&local, "billing:read math:write").await;
    let mut mcp = Client::new(local.url("/mcp")).with_token(&scoped);
    mcp.initialize().await;
    assert_eq!(
        text_of(&mcp.call("billing.status", json!({})).await),
        "billing ok"
    );
    assert_eq!(
        text_of(&mcp.call("add", json!({"a": 1, "b": 2})).await),
        "3"
    );
}

#[tokio::test]
async fn a_requirement_naming_no_tool_stops_start_up() {
    let server =
        two_apps(json!({"tool_scopes": {"billing.add": ["x"]}})).tool_scopes("statsu", ["y"]);
    let loaded = server
        .loader()
        .env(frontmcp_auth::config::Environment::from_pairs::<&str, &str>([]))
        .file(frontmcp_auth::config::FileChoice::None)
        .load()
        .expect("the rulebook accepts it");
    let refused = frontmcp_auth::http::check_tool_scopes(&loaded, &server)
        .await
        .expect_err("no such tools");
    let message = refused.to_string();
    assert!(
        message.contains("billing.add, statsu") && message.contains("billing.status"),
        "{message}"
    );
    let fine = two_apps(json!({})).tool_scopes("math.add", ["x"]);
    let loaded = fine
        .loader()
        .env(frontmcp_auth::config::Environment::from_pairs::<&str, &str>([]))
        .file(frontmcp_auth::config::FileChoice::None)
        .load()
        .expect("valid");
    frontmcp_auth::http::check_tool_scopes(&loaded, &fine)
        .await
        .expect("math.add exists");
}
