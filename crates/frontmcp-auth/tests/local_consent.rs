//! The consent screen of local mode: which tools a client may call, chosen by the user after
//! login, carried in the token's `consent` claim and enforced on `tools/list` and `tools/call`.

mod common;

use std::sync::Arc;

use common::apps::{BillingApp, MathApp};
use common::local::{Local, Reply, START, claims_of, definition, form};
use common::mcp::Client;
use frontmcp_auth::Clock;
use frontmcp_auth::ServerDefinition;
use frontmcp_auth::store::{MemoryStore, Store};
use serde_json::{Value, json};

fn consent(options: Value) -> Value {
    let mut consent = json!({"enabled": true});
    if let (Some(base), Some(extra)) = (consent.as_object_mut(), options.as_object()) {
        base.extend(extra.clone());
    }
    json!({"consent": consent})
}

/// Registers a client, authorizes and logs in: the page that follows the login.
async fn after_login(local: &Local, client_id: &str) -> Reply {
    let page = local.authorize(client_id, &[]).await;
    local.login(&page, "ada@example.com").await
}

fn two_apps(auth: Value) -> ServerDefinition {
    let mut merged = json!({"mode": "local", "local": {"jwt_secret": common::local::SECRET}});
    if let (Some(base), Some(extra)) = (merged.as_object_mut(), auth.as_object()) {
        base.extend(extra.clone());
    }
    ServerDefinition::new("ConsentTest")
        .with_base(json!({ "auth": merged }))
        .app::<MathApp>("math")
        .app::<BillingApp>("billing")
}

#[tokio::test]
async fn the_token_carries_and_enforces_the_chosen_tools() {
    let local = Local::start(consent(json!({}))).await;
    let client_id = local.public_client().await;
    let page = after_login(&local, &client_id).await;
    assert_eq!(page.status, 200, "the consent screen follows the login");
    for tool in ["add", "echo", "whoami", "status"] {
        assert!(
            page.text.contains(&format!("value=\"{tool}\"")),
            "{tool} offered"
        );
    }
    assert!(page.text.contains("Test client"), "names the client");
    assert!(page.text.contains("127.0.0.1"), "shows the redirect host");
    assert_eq!(page.header("x-frame-options"), Some("DENY"));

    let done = local
        .submit_consent(&page, &["add", "whoami"], "allow")
        .await;
    assert_eq!(done.location_param("state").as_deref(), Some("state-123"));
    let tokens = local.tokens_of(&client_id, &done).await;
    let access = tokens["access_token"].as_str().expect("access");
    assert_eq!(claims_of(access)["consent"], json!(["add", "whoami"]));

    let mut mcp = Client::new(local.url("/mcp")).with_token(access);
    assert_eq!(mcp.initialize().await.status, 200);
    let mut names = mcp.tool_names().await;
    names.sort();
    assert_eq!(
        names,
        ["add", "whoami"],
        "tools/list shows the consented tools only"
    );
    let added = mcp.call("add", json!({"a": 2, "b": 3})).await;
    assert_eq!(common::mcp::text_of(&added), "5");
    let refused = mcp.call("echo", json!({"text": "hi"})).await;
    let error = &refused.message.as_ref().expect("message")["error"];
    assert_eq!(error["code"], -32003, "{error}");
    assert_eq!(error["message"], "TOOL_NOT_CONSENTED");
    assert_eq!(error["data"]["tool"], "echo");
    assert_eq!(
        error["data"]["authorization_endpoint"],
        format!("{}/oauth/authorize", local.base())
    );

    let refresh = tokens["refresh_token"].as_str().expect("refresh");
    let rotated = local.refresh(&client_id, refresh).await.json();
    assert_eq!(
        claims_of(rotated["access_token"].as_str().expect("access"))["consent"],
        json!(["add", "whoami"]),
        "the consent claim is kept across refresh"
    );
}

#[tokio::test]
async fn tokens_without_consent_carry_no_claim_and_call_every_tool() {
    let local = Local::start(json!({})).await;
    let (_, tokens) = local.tokens().await;
    let access = tokens["access_token"].as_str().expect("access");
    assert!(claims_of(access).get("consent").is_none());
    let mut mcp = Client::new(local.url("/mcp")).with_token(access);
    mcp.initialize().await;
    assert_eq!(mcp.tool_names().await.len(), 4);
    assert_eq!(
        common::mcp::text_of(&mcp.call("echo", json!({"text": "hi"})).await),
        "hi"
    );
}

#[tokio::test]
async fn every_consent_flag_shapes_the_screen() {
    let options = json!({
        "group_by_app": false,
        "show_descriptions": false,
        "allow_select_all": false,
        "custom_message": "<b>Pick</b> carefully",
        "excluded_tools": ["whoami"],
        "default_selected_tools": ["echo"],
    });
    let local = Local::start(consent(options)).await;
    let client_id = local.public_client().await;
    let page = after_login(&local, &client_id).await;
    assert!(
        !page.text.contains("<legend>math</legend>"),
        "group_by_app = false: one list"
    );
    assert!(
        !page.text.contains("Add two integers"),
        "show_descriptions = false"
    );
    assert!(
        !page.text.contains("value=\"all\""),
        "allow_select_all = false"
    );
    assert!(
        page.text.contains("&lt;b&gt;Pick&lt;&#x2f;b&gt; carefully"),
        "custom_message, escaped"
    );
    assert!(
        !page.text.contains("value=\"whoami\""),
        "excluded tools are never shown"
    );
    assert!(
        page.text.contains("value=\"echo\" checked"),
        "default_selected_tools pre-checked"
    );
    assert!(!page.text.contains("value=\"add\" checked"));

    let refused = local.submit_consent(&page, &[], "all").await;
    assert_eq!(
        refused.status, 400,
        "select-all is refused when not offered"
    );

    let again = local.submit_consent(&page, &[], "allow").await;
    assert_eq!(again.status, 400, "require_selection: nothing selected");
    assert!(again.text.contains("select at least one tool"));
    let done = local.submit_consent(&again, &["add"], "allow").await;
    let tokens = local.tokens_of(&client_id, &done).await;
    assert_eq!(
        claims_of(tokens["access_token"].as_str().expect("access"))["consent"],
        json!(["add", "whoami"]),
        "excluded tools are always granted"
    );
}

#[tokio::test]
async fn grouping_descriptions_and_select_all() {
    let local =
        Local::start_definition(&two_apps(consent(json!({"require_selection": false}))), &[]).await;
    let client_id = local.public_client().await;
    let page = after_login(&local, &client_id).await;
    assert!(page.text.contains("<legend>math</legend>"), "{}", page.text);
    assert!(page.text.contains("<legend>billing</legend>"));
    assert!(
        page.text.contains("Add two integers"),
        "descriptions shown by default"
    );
    assert!(
        page.text.contains("value=\"math.status\""),
        "shared names are namespaced"
    );
    let done = local.submit_consent(&page, &[], "all").await;
    let tokens = local.tokens_of(&client_id, &done).await;
    let consent = claims_of(tokens["access_token"].as_str().expect("access"))["consent"].clone();
    assert_eq!(consent.as_array().map(Vec::len), Some(6), "{consent}");

    let page = after_login(&local, &client_id).await;
    assert_eq!(page.status, 302, "remembered: the screen is skipped");
}

#[tokio::test]
async fn remembered_consent_is_asked_again_when_a_tool_appears() {
    let clock = Clock::manual(START);
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new(clock.clone()));
    let one_app = definition(consent(json!({})));
    let local = Local::start_with_store(&one_app, &[], clock.clone(), store.clone()).await;
    let client_id = local.public_client().await;
    let page = after_login(&local, &client_id).await;
    let done = local.submit_consent(&page, &["add"], "allow").await;
    local.tokens_of(&client_id, &done).await;

    let skipped = after_login(&local, &client_id).await;
    assert_eq!(skipped.status, 302, "the second time the screen is skipped");
    let tokens = local.tokens_of(&client_id, &skipped).await;
    assert_eq!(
        claims_of(tokens["access_token"].as_str().expect("access"))["consent"],
        json!(["add"]),
        "with the remembered choice"
    );

    let grown = two_apps(consent(json!({})));
    let local = Local::start_with_store(&grown, &[], clock.clone(), store.clone()).await;
    let page = after_login(&local, &client_id).await;
    assert_eq!(
        page.status, 200,
        "a new app's tools: the screen is shown again"
    );
    assert!(page.text.contains("value=\"list_invoices\""));

    let forgetful = Local::start_with_store(
        &definition(consent(json!({"remember_consent": false}))),
        &[],
        clock,
        Arc::new(MemoryStore::new(Clock::manual(START))),
    )
    .await;
    let client_id = forgetful.public_client().await;
    let page = after_login(&forgetful, &client_id).await;
    let done = forgetful.submit_consent(&page, &["add"], "allow").await;
    assert_eq!(done.status, 302);
    let page = after_login(&forgetful, &client_id).await;
    assert_eq!(page.status, 200, "remember_consent = false asks every time");
}

#[tokio::test]
async fn denial_forgery_and_replay_are_refused() {
    let local = Local::start(consent(json!({}))).await;
    let client_id = local.public_client().await;

    let page = after_login(&local, &client_id).await;
    let denied = local.submit_consent(&page, &["add"], "deny").await;
    assert_eq!(denied.status, 302);
    assert_eq!(
        denied.location_param("error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(denied.location_param("state").as_deref(), Some("state-123"));
    assert!(denied.location_params().iter().all(|(k, _)| k != "code"));

    let page = after_login(&local, &client_id).await;
    let unknown = local
        .submit_consent(&page, &["drop_database"], "allow")
        .await;
    assert_eq!(unknown.status, 400, "a tool the screen did not offer");

    let pending = page.field("pending_auth_id");
    let forged = local
        .post_form(
            "/oauth/consent",
            form(&[
                ("pending_auth_id", &pending),
                ("csrf_token", "forged"),
                ("tool", "add"),
            ]),
            &[("cookie", &format!("fmcp_csrf_{pending}=forged"))],
        )
        .await;
    assert_eq!(forged.status, 403, "a forged CSRF token");

    let done = local.submit_consent(&page, &["add"], "allow").await;
    assert_eq!(done.status, 302);
    let replay = local.submit_consent(&page, &["add", "echo"], "allow").await;
    assert_eq!(replay.status, 400, "a consent form completes once");

    // Straight to the consent endpoint without logging in.
    let fresh = local.authorize(&client_id, &[]).await;
    let skipped_login = local.submit_consent(&fresh, &["add"], "allow").await;
    assert_eq!(skipped_login.status, 400, "no consent before a login");
    assert!(skipped_login.text.contains("sign in first"));
}

#[tokio::test]
async fn hostile_consent_forms_get_4xx_never_5xx() {
    let local = Local::start(consent(json!({}))).await;
    let client_id = local.public_client().await;
    let page = after_login(&local, &client_id).await;
    let pending = page.field("pending_auth_id");
    let cookie = page.cookies();
    let many_tools = (0..600)
        .map(|i| format!("tool=t{i}"))
        .collect::<Vec<_>>()
        .join("&");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("no pending id", b"csrf_token=x&tool=add".to_vec()),
        (
            "markup as pending id",
            b"pending_auth_id=%3Cscript%3E".to_vec(),
        ),
        (
            "repeated csrf",
            format!("pending_auth_id={pending}&csrf_token=a&csrf_token=b").into_bytes(),
        ),
        (
            "600 tools",
            format!("pending_auth_id={pending}&{many_tools}").into_bytes(),
        ),
        (
            "oversized value",
            format!("pending_auth_id={pending}&tool={}", "x".repeat(5000)).into_bytes(),
        ),
        ("not utf-8", b"pending_auth_id=\xff\xfe&tool=\xc3".to_vec()),
        ("oversized body", vec![b'a'; 70 * 1024]),
    ];
    for (what, body) in cases {
        let response = local
            .http
            .post(local.url("/oauth/consent"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", &cookie)
            .body(body)
            .send()
            .await
            .expect("post");
        let status = response.status().as_u16();
        assert!((400..500).contains(&status), "{what}: {status}");
    }
    let still = local.submit_consent(&page, &["add"], "allow").await;
    assert_eq!(
        still.status, 302,
        "the real form still completes after the hostile ones"
    );
}
