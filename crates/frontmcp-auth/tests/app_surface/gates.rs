//! The gates on resources and prompts.

use serde_json::{Value, json};

use super::common::apps::{DocsApp, MathApp};
use super::common::local::{Local, claims_of};
use super::common::mcp::{Client, Running, start};
use super::{contents, error_of, prompt_names, read, resource_uris, templates};
use frontmcp_auth::ServerDefinition;
use frontmcp_auth::http::RouterOptions;

fn local_server(auth: Value, top: Value) -> ServerDefinition {
    let mut merged =
        json!({"mode": "local", "local": {"jwt_secret": super::common::local::SECRET}});
    if let (Some(base), Some(extra)) = (merged.as_object_mut(), auth.as_object()) {
        base.extend(extra.clone());
    }
    let mut base = json!({ "auth": merged });
    if let (Some(base), Some(extra)) = (base.as_object_mut(), top.as_object()) {
        base.extend(extra.clone());
    }
    ServerDefinition::new("SurfaceTest")
        .with_base(base)
        .app::<MathApp>("math")
        .app::<DocsApp>("docs")
}

#[tokio::test]
async fn a_resource_of_an_unauthorized_app_is_refused_and_absent_from_resources_list() {
    let definition = local_server(
        json!({"incremental_auth": {"show_all_apps_at_once": false}}),
        json!({}),
    );
    let local = Local::start_definition(&definition, &[]).await;
    let client_id = local.public_client().await;
    let page = local.authorize(&client_id, &[]).await;
    let tokens = local
        .tokens_of(&client_id, &local.login(&page, "ada@example.com").await)
        .await;
    let access = tokens["access_token"].as_str().expect("access");
    assert_eq!(claims_of(access)["authorized_apps"], json!(["math"]));

    let mut mcp = local.session(access).await;
    assert!(
        resource_uris(&mut mcp).await.is_empty(),
        "docs is not authorized"
    );
    assert!(templates(&mut mcp).await.is_empty());
    assert!(prompt_names(&mut mcp).await.is_empty());
    let refused = read(&mut mcp, "docs://handbook").await;
    let error = error_of(&refused);
    assert_eq!(error["code"], -32004, "{error}");
    assert_eq!(error["message"], "AUTHORIZATION_REQUIRED");
    assert_eq!(error["data"]["app"], "docs");
    assert_eq!(error["data"]["resource"], "docs://handbook");
    assert!(
        error["data"]["authorization_url"]
            .as_str()
            .is_some_and(|u| u.contains("app=docs")),
        "{error}"
    );
    let refused = read(&mut mcp, "docs://pages/7").await;
    assert_eq!(error_of(&refused)["code"], -32004, "a template's URI too");
    let refused = mcp
        .request("prompts/get", json!({"name": "summarise"}))
        .await;
    assert_eq!(error_of(&refused)["code"], -32004);
    let refused = mcp
        .request(
            "completion/complete",
            json!({"ref": {"type": "ref/resource", "uri": "docs://pages/{id}"},
                   "argument": {"name": "id", "value": ""}}),
        )
        .await;
    assert_eq!(error_of(&refused)["code"], -32004, "completions too");
    let unknown = read(&mut mcp, "docs://nowhere").await;
    assert_eq!(error_of(&unknown)["code"], -32002, "resource not found");
}

#[tokio::test]
async fn consent_covers_resources_templates_and_prompts_by_their_entries() {
    let definition = local_server(json!({"consent": {"enabled": true}}), json!({}));
    let local = Local::start_definition(&definition, &[]).await;
    let client_id = local.public_client().await;
    let page = local.authorize(&client_id, &[]).await;
    let page = local.login(&page, "ada@example.com").await;
    for entry in [
        "add",
        "prompt:summarise",
        "resource:docs://handbook",
        "resource:docs://secret",
        "resource:docs://pages/{id}",
    ] {
        // The page escapes `/` in attribute values.
        let value = entry.replace('/', "&#x2f;");
        assert!(
            page.text.contains(&format!("value=\"{value}\"")),
            "{entry} offered: {}",
            page.text
        );
    }
    let done = local
        .submit_consent(&page, &["add", "resource:docs://pages/{id}"], "allow")
        .await;
    let tokens = local.tokens_of(&client_id, &done).await;
    let access = tokens["access_token"].as_str().expect("access");
    assert_eq!(
        claims_of(access)["consent"],
        json!(["add", "resource:docs://pages/{id}"])
    );

    let mut mcp = local.session(access).await;
    assert!(
        resource_uris(&mut mcp).await.is_empty(),
        "no direct resource consented"
    );
    assert_eq!(templates(&mut mcp).await, ["docs://pages/{id}"]);
    assert!(prompt_names(&mut mcp).await.is_empty());
    let page = read(&mut mcp, "docs://pages/7").await;
    assert_eq!(contents(&page), "docs://pages/7 read by ada@example.com");
    let refused = read(&mut mcp, "docs://handbook").await;
    let error = error_of(&refused);
    assert_eq!(error["code"], -32003, "{error}");
    assert_eq!(error["message"], "RESOURCE_NOT_CONSENTED");
    assert_eq!(error["data"]["resource"], "docs://handbook");
    let refused = mcp
        .request("prompts/get", json!({"name": "summarise"}))
        .await;
    let error = error_of(&refused);
    assert_eq!(error["message"], "PROMPT_NOT_CONSENTED", "{error}");
}

async fn public_server(access: Value) -> Running {
    let definition = ServerDefinition::new("PublicSurface")
        .with_base(json!({"auth": {"mode": "public", "public_access": access}}))
        .app::<MathApp>("math")
        .app::<DocsApp>("docs");
    start(&definition, &[], RouterOptions::default()).await
}

#[tokio::test]
async fn public_access_resources_limits_what_callers_without_a_token_list_and_read() {
    let running = public_server(json!({
        "resources": ["docs://handbook", "docs://pages/{id}"],
        "prompts": [],
    }))
    .await;
    let mut mcp = Client::new(running.url("/mcp"));
    assert_eq!(mcp.initialize().await.status, 200);
    assert_eq!(resource_uris(&mut mcp).await, ["docs://handbook"]);
    assert_eq!(templates(&mut mcp).await, ["docs://pages/{id}"]);
    assert!(prompt_names(&mut mcp).await.is_empty(), "no public prompt");
    let handbook = read(&mut mcp, "docs://handbook").await;
    assert!(contents(&handbook).starts_with("docs://handbook read by anon:"));
    let page = read(&mut mcp, "docs://pages/3").await;
    assert_eq!(page.status, 200, "{}", page.text);
    let secret = read(&mut mcp, "docs://secret").await;
    assert_eq!(secret.status, 401, "{}", secret.text);
    assert!(
        secret
            .header("www-authenticate")
            .is_some_and(|h| h.starts_with("Bearer ")),
        "the challenge"
    );
    let subscribe = mcp
        .request("resources/subscribe", json!({"uri": "docs://secret"}))
        .await;
    assert_eq!(subscribe.status, 401, "subscribing is reading");
    let prompt = mcp
        .request("prompts/get", json!({"name": "summarise"}))
        .await;
    assert_eq!(prompt.status, 401);
}

#[tokio::test]
async fn a_resource_or_prompt_scope_answers_insufficient_scope_until_granted() {
    let definition = local_server(
        json!({}),
        json!({
            "resource_scopes": {"docs://secret": ["docs:secret"], "docs://pages/{id}": ["docs:pages"]},
            "prompt_scopes": {"summarise": ["docs:write"]},
        }),
    );
    let local = Local::start_definition(&definition, &[]).await;
    let (_, tokens) = local.tokens().await;
    let access = tokens["access_token"].as_str().expect("access");
    let mut mcp = local.session(access).await;
    let handbook = read(&mut mcp, "docs://handbook").await;
    assert_eq!(handbook.status, 200, "no requirement: {}", handbook.text);
    for (uri, scope) in [
        ("docs://secret", "docs:secret"),
        ("docs://pages/9", "docs:pages"),
    ] {
        let refused = read(&mut mcp, uri).await;
        assert_eq!(refused.status, 403, "{uri}: {}", refused.text);
        let challenge = refused.header("www-authenticate").unwrap_or_default();
        assert!(
            challenge.contains("insufficient_scope") && challenge.contains(scope),
            "{challenge}"
        );
    }
    let refused = mcp
        .request("prompts/get", json!({"name": "summarise"}))
        .await;
    assert_eq!(refused.status, 403);

    // Step-up: a token with the scope reads it.
    let client_id = local.public_client().await;
    let page = local
        .authorize(&client_id, &[("scope", "docs:secret")])
        .await;
    let tokens = local
        .tokens_of(&client_id, &local.login(&page, "ada@example.com").await)
        .await;
    let access = tokens["access_token"].as_str().expect("access");
    let mut mcp = local.session(access).await;
    let secret = read(&mut mcp, "docs://secret").await;
    assert_eq!(contents(&secret), "docs://secret read by ada@example.com");
}

#[tokio::test]
async fn hostile_resource_and_completion_requests_get_json_rpc_errors() {
    let running = public_server(json!({})).await;
    let mut mcp = Client::new(running.url("/mcp"));
    assert_eq!(mcp.initialize().await.status, 200);
    let long = format!("docs://pages/{}", "x/".repeat(200_000));
    for params in [
        json!({"uri": long}),
        json!({"uri": ""}),
        json!({"uri": 7}),
        json!({}),
    ] {
        let answer = mcp.request("resources/read", params.clone()).await;
        assert_eq!(answer.status, 200, "{params}: {}", answer.text);
        let error = error_of(&answer);
        // Not found, invalid params, or (rmcp's answer to params that do not parse) an unknown
        // method: a JSON-RPC error in every case, never an HTTP failure.
        assert!(
            matches!(error["code"].as_i64(), Some(-32002 | -32602 | -32601)),
            "{params}: {}",
            answer.text
        );
    }
    for params in [
        json!({"ref": {"type": "ref/unknown", "name": "x"}, "argument": {"name": "a", "value": ""}}),
        json!({"ref": {"type": "ref/prompt", "name": "nope"}, "argument": {"name": "a", "value": ""}}),
        json!({"ref": {"type": "ref/resource", "uri": "docs://nowhere/{x}"}, "argument": {"name": "x", "value": ""}}),
    ] {
        let answer = mcp.request("completion/complete", params.clone()).await;
        assert_eq!(answer.status, 200, "{params}: {}", answer.text);
        let code = error_of(&answer)["code"].as_i64();
        assert!(
            matches!(code, Some(-32002 | -32602 | -32601)),
            "{params}: {code:?}"
        );
    }
    let answer = mcp
        .request(
            "completion/complete",
            json!({"ref": {"type": "ref/resource", "uri": "docs://pages/{id}"}, "argument": {"name": "id", "value": "1"}}),
        )
        .await;
    assert!(
        answer.result()["completion"]["values"].is_array(),
        "an app without completions offers none: {}",
        answer.text
    );
}
