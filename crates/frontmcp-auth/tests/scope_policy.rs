//! Scopes are an authorization boundary: the server grants only what its policy names (the
//! baseline `profile email` and `scopes_supported`, the scopes per-tool requirements need, and
//! `offline_access` with refresh); an unknown scope is `invalid_scope`; the consent screen shows
//! the scopes asked for and only the approved ones are granted; the 401 challenge names the
//! baseline; `offline_access` belongs to the authorization server's metadata only.

mod common;

use common::local::{CONFIGURED, Local, Reply, VERIFIER, claims_of, definition, form};
use common::mcp::{Client, text_of};
use serde_json::{Value, json};

async fn start(auth: Value) -> Local {
    let server = definition(auth).tool_scopes("add", ["math:write"]);
    Local::start_definition(&server, &[]).await
}

async fn get_json(local: &Local, path: &str) -> Value {
    let reply = local.get(path).await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.text);
    reply.json()
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .expect("array")
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

#[tokio::test]
async fn an_unknown_scope_is_invalid_scope() {
    let local = start(json!({"scopes_supported": ["notes:read"]})).await;
    let client_id = CONFIGURED;
    let refused = local
        .authorize(client_id, &[("scope", "profile admin:everything")])
        .await;
    assert_eq!(refused.status, 302, "{}", refused.text);
    assert_eq!(
        refused.location_param("error").as_deref(),
        Some("invalid_scope")
    );
    assert!(
        refused
            .location_param("error_description")
            .is_some_and(|d| d.contains("admin:everything")),
        "{:?}",
        refused.headers
    );
    for granted in ["profile email", "notes:read", "math:write offline_access"] {
        let page = local.authorize(client_id, &[("scope", granted)]).await;
        assert_eq!(page.status, 200, "{granted}: {}", page.text);
    }
}

#[tokio::test]
async fn metadata_and_the_challenge_name_what_can_be_granted() {
    let local = start(json!({"scopes_supported": ["notes:read"]})).await;
    let server = get_json(&local, "/.well-known/oauth-authorization-server").await;
    assert_eq!(
        strings(&server["scopes_supported"]),
        [
            "profile",
            "email",
            "notes:read",
            "math:write",
            "offline_access"
        ]
    );
    let resource = get_json(&local, "/.well-known/oauth-protected-resource/mcp").await;
    assert_eq!(
        strings(&resource["scopes_supported"]),
        ["profile", "email", "notes:read", "math:write"],
        "offline_access is the authorization server's, never the resource's"
    );
    let probe = local
        .http
        .post(local.url("/mcp"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        .send()
        .await
        .expect("probe");
    assert_eq!(probe.status(), 401);
    let challenge = probe
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        challenge.ends_with("scope=\"profile email notes:read\""),
        "the baseline, not the step-up scope: {challenge}"
    );
    let without_refresh = start(json!({"refresh": {"enabled": false}})).await;
    let server = get_json(&without_refresh, "/.well-known/oauth-authorization-server").await;
    assert!(!strings(&server["scopes_supported"]).contains(&"offline_access"));
}

/// Logs in asking for `scope`, then submits the consent page approving `approved` (the scopes
/// checked) and the `add` tool: the token response.
async fn consent_to(local: &Local, client_id: &str, scope: &str, approved: &[&str]) -> Value {
    let page = local.authorize(client_id, &[("scope", scope)]).await;
    let consent: Reply = local.login(&page, "ada@example.com").await;
    assert_eq!(consent.status, 200, "{}", consent.text);
    for asked in scope.split(' ') {
        assert!(
            consent
                .text
                .contains(&format!("name=\"scope\" value=\"{asked}\"")),
            "the page shows {asked}: {}",
            consent.text
        );
    }
    let pending = consent.field("pending_auth_id");
    let csrf = consent.field("csrf_token");
    let mut pairs = vec![
        ("pending_auth_id", pending.as_str()),
        ("csrf_token", csrf.as_str()),
        ("decision", "allow"),
        ("tool", "add"),
        ("scopes_shown", "1"),
    ];
    pairs.extend(approved.iter().map(|s| ("scope", *s)));
    let done = local
        .post_form(
            "/oauth/consent",
            form(&pairs),
            &[("cookie", &consent.cookies())],
        )
        .await;
    assert_eq!(done.status, 302, "{}", done.text);
    let code = done.location_param("code").expect("code");
    local.exchange(client_id, &code, VERIFIER).await.json()
}

#[tokio::test]
async fn a_step_up_scope_is_granted_only_after_consent() {
    let local = start(json!({"consent": {"enabled": true, "remember_consent": false}})).await;
    let client_id = local.public_client().await;
    // The user leaves math:write unchecked: the token does not carry it.
    let tokens = consent_to(&local, &client_id, "profile math:write", &["profile"]).await;
    let access = tokens["access_token"].as_str().expect("access");
    assert_eq!(claims_of(access)["scope"], "profile");
    let mut mcp = Client::new(local.url("/mcp")).with_token(access);
    mcp.initialize().await;
    assert_eq!(mcp.call("add", json!({"a": 1, "b": 2})).await.status, 403);
    // Approved: granted, and the tool answers.
    let tokens = consent_to(
        &local,
        &client_id,
        "profile math:write",
        &["profile", "math:write"],
    )
    .await;
    let access = tokens["access_token"].as_str().expect("access");
    assert_eq!(claims_of(access)["scope"], "profile math:write");
    let mut mcp = Client::new(local.url("/mcp")).with_token(access);
    mcp.initialize().await;
    assert_eq!(
        text_of(&mcp.call("add", json!({"a": 1, "b": 2})).await),
        "3"
    );
    // A refresh can only narrow.
    let refresh = tokens["refresh_token"].as_str().expect("refresh");
    let wider = local
        .post_form(
            "/oauth/token",
            form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                ("client_id", &client_id),
                ("scope", "profile math:write email"),
            ]),
            &[],
        )
        .await;
    assert_eq!(wider.json()["error"], "invalid_scope");
}

#[tokio::test]
async fn a_remembered_consent_asks_again_for_a_new_scope() {
    let local = start(json!({"consent": {"enabled": true}})).await;
    let client_id = local.public_client().await;
    consent_to(&local, &client_id, "profile", &["profile"]).await;
    // Same tools, same baseline: no screen.
    let page = local.authorize(&client_id, &[("scope", "profile")]).await;
    let skipped = local.login(&page, "ada@example.com").await;
    assert_eq!(skipped.status, 302, "remembered: {}", skipped.text);
    // A step-up scope never approved before: the screen again.
    let page = local
        .authorize(&client_id, &[("scope", "profile math:write")])
        .await;
    let asked = local.login(&page, "ada@example.com").await;
    assert_eq!(asked.status, 200, "{}", asked.text);
    assert!(
        asked.text.contains("value=\"math:write\""),
        "{}",
        asked.text
    );
}
