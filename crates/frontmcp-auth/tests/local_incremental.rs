//! Progressive authorization: a token names the apps its user authorized; a tool of another
//! app answers AUTHORIZATION_REQUIRED with the URL that authorizes it; that authorization gives
//! a token for the union. Which apps a request authorizes is never taken from the login form.

mod common;

use common::apps::{BillingApp, MathApp};
use common::local::{CHALLENGE, Local, REDIRECT, Reply, SECRET, claims_of, form};
use common::mcp::text_of;
use frontmcp_auth::ServerDefinition;
use serde_json::{Value, json};

fn server(incremental: Value) -> ServerDefinition {
    ServerDefinition::new("IncrementalTest")
        .with_base(json!({"auth": {
            "mode": "local",
            "local": {"jwt_secret": SECRET},
            "incremental_auth": incremental,
        }}))
        .app::<MathApp>("math")
        .app::<BillingApp>("billing")
}

/// Posts the login page with `extra` fields besides the pending id, CSRF token and email.
async fn login_with(local: &Local, page: &Reply, extra: &[(&str, &str)]) -> Reply {
    assert_eq!(page.status, 200, "login page: {}", page.text);
    let pending = page.field("pending_auth_id");
    let csrf = page.field("csrf_token");
    let mut pairs = vec![
        ("pending_auth_id", pending.as_str()),
        ("csrf_token", csrf.as_str()),
        ("email", "ada@example.com"),
    ];
    pairs.extend_from_slice(extra);
    local
        .post_form(
            "/oauth/callback",
            form(&pairs),
            &[("cookie", &page.cookies())],
        )
        .await
}

#[tokio::test]
async fn an_app_is_authorized_when_first_needed_and_the_grant_is_the_union() {
    let local =
        Local::start_definition(&server(json!({"show_all_apps_at_once": false})), &[]).await;
    let client_id = local.public_client().await;
    let page = local.authorize(&client_id, &[]).await;
    assert!(
        page.text.contains("<p class=\"app\">math</p>"),
        "the first app only"
    );
    let tokens = local
        .tokens_of(&client_id, &login_with(&local, &page, &[]).await)
        .await;
    let access = tokens["access_token"].as_str().expect("access");
    assert_eq!(claims_of(access)["authorized_apps"], json!(["math"]));

    let mut mcp = local.session(access).await;
    assert_eq!(
        text_of(&mcp.call("add", json!({"a": 1, "b": 2})).await),
        "3"
    );
    let refused = mcp.call("list_invoices", json!({})).await;
    let error = &refused.message.as_ref().expect("message")["error"];
    assert_eq!(error["code"], -32004, "{error}");
    assert_eq!(error["message"], "AUTHORIZATION_REQUIRED");
    assert_eq!(error["data"]["app"], "billing");
    let url = url::Url::parse(error["data"]["authorization_url"].as_str().expect("url"))
        .expect("absolute");
    assert_eq!(url.path(), "/oauth/authorize");
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(param("app").as_deref(), Some("billing"));
    assert_eq!(param("client_id").as_deref(), Some(client_id.as_str()));

    // The client completes the URL with its redirect URI, PKCE and state.
    let mut query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    query.extend([
        ("redirect_uri".to_owned(), REDIRECT.to_owned()),
        ("code_challenge".to_owned(), CHALLENGE.to_owned()),
        ("state".to_owned(), "billing-state".to_owned()),
    ]);
    let query: Vec<(&str, &str)> = query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let page = local
        .get(&format!("/oauth/authorize?{}", form(&query)))
        .await;
    assert!(
        page.text.contains("<p class=\"app\">billing</p>"),
        "{}",
        page.text
    );
    let done = login_with(&local, &page, &[]).await;
    assert_eq!(
        done.location_param("state").as_deref(),
        Some("billing-state")
    );
    let tokens = local.tokens_of(&client_id, &done).await;
    let access = tokens["access_token"].as_str().expect("access");
    assert_eq!(
        claims_of(access)["authorized_apps"],
        json!(["math", "billing"]),
        "the union"
    );
    let mut mcp = local.session(access).await;
    assert!(text_of(&mcp.call("list_invoices", json!({})).await).contains("ada@example.com"));
    assert_eq!(
        text_of(&mcp.call("add", json!({"a": 2, "b": 2})).await),
        "4"
    );
}

#[tokio::test]
async fn a_forged_incremental_request_neither_skips_login_nor_adds_an_app() {
    let local =
        Local::start_definition(&server(json!({"show_all_apps_at_once": false})), &[]).await;
    let client_id = local.public_client().await;
    let page = local.authorize(&client_id, &[]).await;
    let forged = [
        ("incremental", "true"),
        ("app_id", "billing"),
        ("apps_shown", "1"),
        ("app.billing", "on"),
    ];
    let pending = page.field("pending_auth_id");
    let csrf = page.field("csrf_token");
    let mut pairs = vec![
        ("pending_auth_id", pending.as_str()),
        ("csrf_token", csrf.as_str()),
    ];
    pairs.extend_from_slice(&forged);
    let no_login = local
        .post_form(
            "/oauth/callback",
            form(&pairs),
            &[("cookie", &page.cookies())],
        )
        .await;
    assert_eq!(no_login.status, 400, "the login form again, no code");
    assert!(no_login.text.contains("an email address is required"));
    assert!(no_login.header("location").is_none());

    let done = login_with(&local, &page, &forged).await;
    let tokens = local.tokens_of(&client_id, &done).await;
    assert_eq!(
        claims_of(tokens["access_token"].as_str().expect("access"))["authorized_apps"],
        json!(["math"]),
        "form fields cannot add an app the request did not ask for"
    );

    // A dynamically registered client gets a page, not a redirect (RFC 9700 §4.11.2).
    let unknown = local.authorize(&client_id, &[("app", "payroll")]).await;
    assert_eq!(unknown.status, 400);
    assert!(unknown.text.contains("invalid_request"), "{}", unknown.text);
}

#[tokio::test]
async fn skipped_apps_run_anonymously_or_require_authorization() {
    let local = Local::start_definition(&server(json!({})), &[]).await;
    let client_id = local.public_client().await;
    let page = local.authorize(&client_id, &[]).await;
    assert!(
        page.text.contains("name=\"app.math\" value=\"on\" checked"),
        "{}",
        page.text
    );
    assert!(
        page.text
            .contains("name=\"app.billing\" value=\"on\" checked")
    );
    let done = login_with(&local, &page, &[("apps_shown", "1"), ("app.math", "on")]).await;
    let tokens = local.tokens_of(&client_id, &done).await;
    let access = tokens["access_token"].as_str().expect("access");
    let claims = claims_of(access);
    assert_eq!(claims["authorized_apps"], json!(["math"]));
    assert_eq!(claims["skipped_apps"], json!(["billing"]));
    let mut mcp = local.session(access).await;
    let invoices = text_of(&mcp.call("list_invoices", json!({})).await);
    assert!(
        invoices.starts_with("invoices of anon:"),
        "runs anonymously: {invoices}"
    );

    let strict = Local::start_definition(
        &server(json!({"skipped_app_behavior": "require-auth"})),
        &[],
    )
    .await;
    let client_id = strict.public_client().await;
    let page = strict.authorize(&client_id, &[]).await;
    let done = login_with(&strict, &page, &[("apps_shown", "1"), ("app.math", "on")]).await;
    let tokens = strict.tokens_of(&client_id, &done).await;
    let access = tokens["access_token"].as_str().expect("access");
    assert!(claims_of(access).get("skipped_apps").is_none());
    let mut mcp = strict.session(access).await;
    let refused = mcp.call("list_invoices", json!({})).await;
    assert_eq!(
        refused.message.as_ref().expect("message")["error"]["code"],
        -32004
    );

    let every = Local::start_definition(&server(json!({})), &[]).await;
    let (_, tokens) = every.tokens().await;
    assert_eq!(
        claims_of(tokens["access_token"].as_str().expect("access"))["authorized_apps"],
        json!(["math", "billing"]),
        "by default the first login authorizes every app"
    );
    let off = Local::start_definition(&server(json!({"enabled": false})), &[]).await;
    let client_id = off.public_client().await;
    let refused = off.authorize(&client_id, &[("app", "billing")]).await;
    assert_eq!(refused.status, 400);
    assert!(refused.text.contains("invalid_request"), "{}", refused.text);
}

#[tokio::test]
async fn prompts_of_an_app_not_authorized_are_refused_like_its_tools() {
    let definition = ServerDefinition::new("IncrementalPrompts")
        .with_base(json!({"auth": {
            "mode": "local",
            "local": {"jwt_secret": SECRET},
            "incremental_auth": {"show_all_apps_at_once": false},
        }}))
        .app::<MathApp>("math")
        .app::<common::apps::PromptApp>("prompts");
    let local = Local::start_definition(&definition, &[]).await;
    let client_id = local.public_client().await;
    let page = local.authorize(&client_id, &[]).await;
    let tokens = local
        .tokens_of(&client_id, &login_with(&local, &page, &[]).await)
        .await;
    let access = tokens["access_token"].as_str().expect("access");
    assert_eq!(claims_of(access)["authorized_apps"], json!(["math"]));
    let mut mcp = local.session(access).await;
    let refused = mcp
        .request("prompts/get", json!({"name": "greeting"}))
        .await;
    let error = &refused.message.as_ref().expect("message")["error"];
    assert_eq!(error["code"], -32004, "{error}");
    assert_eq!(error["data"]["app"], "prompts");
    assert_eq!(error["data"]["prompt"], "greeting");
}

#[tokio::test]
async fn a_denied_consent_records_no_app() {
    let definition = ServerDefinition::new("IncrementalConsent")
        .with_base(json!({"auth": {
            "mode": "local",
            "local": {"jwt_secret": SECRET},
            "incremental_auth": {"show_all_apps_at_once": false},
            "consent": {"enabled": true},
        }}))
        .app::<MathApp>("math")
        .app::<BillingApp>("billing");
    let local = Local::start_definition(&definition, &[]).await;
    let client_id = local.public_client().await;
    // Billing is asked for, then the user refuses on the consent page.
    let page = local.authorize(&client_id, &[("app", "billing")]).await;
    let consent = login_with(&local, &page, &[]).await;
    assert_eq!(consent.status, 200, "{}", consent.text);
    let denied = local
        .post_form(
            "/oauth/consent",
            form(&[
                ("pending_auth_id", &consent.field("pending_auth_id")),
                ("csrf_token", &consent.field("csrf_token")),
                ("decision", "deny"),
            ]),
            &[("cookie", &consent.cookies())],
        )
        .await;
    assert_eq!(
        denied.location_param("error").as_deref(),
        Some("access_denied")
    );
    // The next login, for math, grants math alone: the refused billing was not remembered.
    let page = local.authorize(&client_id, &[]).await;
    let consent = login_with(&local, &page, &[]).await;
    let allowed = local
        .post_form(
            "/oauth/consent",
            form(&[
                ("pending_auth_id", &consent.field("pending_auth_id")),
                ("csrf_token", &consent.field("csrf_token")),
                ("decision", "allow"),
                ("tool", "add"),
            ]),
            &[("cookie", &consent.cookies())],
        )
        .await;
    let tokens = local.tokens_of(&client_id, &allowed).await;
    let access = tokens["access_token"].as_str().expect("access");
    assert_eq!(claims_of(access)["authorized_apps"], json!(["math"]));
}
