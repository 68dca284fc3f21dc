//! Public mode over real HTTP on loopback: anonymous sessions, public access, rate limits,
//! discovery, host and origin checks, and the composed apps.

mod common;

use common::apps::{BillingApp, MathApp, PromptApp};
use common::mcp::{Client, start, static_verifier, text_of};
use frontmcp_auth::http::RouterOptions;
use frontmcp_auth::{AuthContext, Clock, ServerDefinition};
use serde_json::json;

fn definition(auth: serde_json::Value) -> ServerDefinition {
    ServerDefinition::new("PublicServer")
        .with_base(json!({ "info": { "name": "PublicServer", "version": "1.2.3" }, "auth": auth }))
        .app::<MathApp>("math")
        .app::<BillingApp>("billing")
}

#[tokio::test]
async fn anonymous_clients_list_and_call_the_composed_tools() {
    let server = start(
        &definition(json!({ "mode": "public" })),
        &[],
        RouterOptions::default(),
    )
    .await;
    let mut client = Client::new(server.url("/mcp"));
    let init = client.initialize().await;
    assert_eq!(init.status, 200, "{}", init.text);
    assert_eq!(init.result()["serverInfo"]["name"], "PublicServer");
    assert_eq!(init.result()["serverInfo"]["version"], "1.2.3");

    let mut names = client.tool_names().await;
    names.sort();
    assert_eq!(
        names,
        [
            "add",
            "billing.status",
            "echo",
            "list_invoices",
            "math.status",
            "whoami"
        ]
    );

    assert_eq!(
        text_of(&client.call("add", json!({"a": 2, "b": 3})).await),
        "5"
    );
    assert_eq!(
        text_of(&client.call("math.status", json!({})).await),
        "math ok"
    );
    assert_eq!(
        text_of(&client.call("billing.status", json!({})).await),
        "billing ok"
    );

    let first = text_of(&client.call("whoami", json!({})).await);
    assert!(first.starts_with("anon:"), "{first}");
    assert!(
        first.ends_with("anonymous=true scopes=anonymous"),
        "{first}"
    );
    let second = text_of(&client.call("whoami", json!({})).await);
    assert_eq!(first, second, "one MCP session keeps one anonymous subject");

    let mut other = Client::new(server.url("/mcp"));
    other.initialize().await;
    let theirs = text_of(&other.call("whoami", json!({})).await);
    assert_ne!(
        first, theirs,
        "another session is another anonymous subject"
    );
}

#[tokio::test]
async fn a_tool_outside_public_access_needs_a_token() {
    let auth = json!({ "mode": "public", "public_access": { "tools": ["echo", "whoami"] } });
    let server = start(&definition(auth.clone()), &[], RouterOptions::default()).await;
    let mut client = Client::new(server.url("/mcp"));
    assert_eq!(client.initialize().await.status, 200);
    assert_eq!(
        text_of(&client.call("echo", json!({"text": "hi"})).await),
        "hi"
    );

    let refused = client.call("add", json!({"a": 1, "b": 1})).await;
    assert_eq!(refused.status, 401, "{}", refused.text);
    let expected = format!(
        "Bearer resource_metadata=\"{}\"",
        server.url("/.well-known/oauth-protected-resource/mcp")
    );
    assert_eq!(refused.header("www-authenticate"), Some(expected.as_str()));

    let member = AuthContext {
        subject: "user-1".into(),
        anonymous: false,
        scopes: vec!["read".into()],
        claims: Default::default(),
        client_id: Some("cli".into()),
        session_id: None,
        expires_at: None,
        upstream: None,
    };
    let with_verifier =
        definition(auth).verifier(static_verifier(vec![("good-token".into(), member)]));
    let server = start(&with_verifier, &[], RouterOptions::default()).await;
    let mut client = Client::new(server.url("/mcp")).with_token("good-token");
    assert_eq!(client.initialize().await.status, 200);
    assert_eq!(
        text_of(&client.call("add", json!({"a": 1, "b": 1})).await),
        "2"
    );
    assert_eq!(
        text_of(&client.call("whoami", json!({})).await),
        "user-1 anonymous=false scopes=read"
    );
}

#[tokio::test]
async fn tokens_are_read_from_the_header_only_and_checked() {
    let auth = json!({ "mode": "public", "public_access": { "tools": ["echo"] } });
    let server = start(&definition(auth), &[], RouterOptions::default()).await;
    let http = reqwest::Client::new();
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "add", "arguments": {"a": 1, "b": 2}}});

    let query = http
        .post(server.url("/mcp?access_token=good-token"))
        .header("accept", "application/json, text/event-stream")
        .json(&call)
        .send()
        .await
        .expect("send");
    assert_eq!(
        query.status(),
        401,
        "a token in the query string is never read"
    );

    let no_verifier = http
        .post(server.url("/mcp"))
        .bearer_auth("anything")
        .header("accept", "application/json, text/event-stream")
        .json(&call)
        .send()
        .await
        .expect("send");
    assert_eq!(no_verifier.status(), 401);
    let challenge = no_verifier.headers()["www-authenticate"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        challenge.starts_with("Bearer error=\"invalid_token\""),
        "{challenge}"
    );

    for malformed in [
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer a b",
        "Bearer tok\u{7f}en",
    ] {
        let response = http
            .post(server.url("/mcp"))
            .header("authorization", malformed)
            .header("accept", "application/json, text/event-stream")
            .json(&call)
            .send()
            .await;
        let Ok(response) = response else { continue };
        assert_eq!(response.status(), 400, "{malformed:?}");
        let challenge = response.headers()["www-authenticate"]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(
            challenge.starts_with("Bearer error=\"invalid_request\""),
            "{challenge}"
        );
    }
}

#[tokio::test]
async fn request_61_within_a_minute_gets_429_with_retry_after() {
    let clock = Clock::manual(1_000_040);
    let options = RouterOptions {
        clock: clock.clone(),
        ..RouterOptions::default()
    };
    let server = start(
        &definition(json!({ "mode": "public", "public_access": { "rate_limit": 60 } })),
        &[],
        options,
    )
    .await;
    let mut client = Client::new(server.url("/mcp"));
    for i in 0..60 {
        let answer = client.request("ping", json!({})).await;
        assert_ne!(answer.status, 429, "request {} was limited", i + 1);
    }
    let limited = client.request("ping", json!({})).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after"), Some("40"));
    clock.advance(40);
    assert_ne!(
        client.request("ping", json!({})).await.status,
        429,
        "the window reset"
    );
}

#[tokio::test]
async fn protected_resource_metadata_in_both_forms() {
    let server = start(
        &definition(json!({ "mode": "public" })),
        &[],
        RouterOptions::default(),
    )
    .await;
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let document: serde_json::Value = reqwest::get(server.url(path))
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        assert_eq!(document["resource"], server.url("/mcp"), "{path}");
        assert_eq!(document["bearer_methods_supported"], json!(["header"]));
        assert_eq!(document["authorization_servers"], json!([]));
        assert_eq!(document["scopes_supported"], json!(["anonymous"]));
    }

    let env = [
        ("FRONTMCP_PUBLIC_URL", "https://mcp.example.com"),
        ("FRONTMCP_HTTP__ENTRY_PATH", "/api"),
    ];
    let server = start(
        &definition(json!({ "mode": "public" })),
        &env,
        RouterOptions::default(),
    )
    .await;
    let http = reqwest::Client::new();
    let document: serde_json::Value = http
        .get(server.url("/.well-known/oauth-protected-resource/api/mcp"))
        .header("host", "mcp.example.com")
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(document["resource"], "https://mcp.example.com/api/mcp");
}

#[tokio::test]
async fn foreign_hosts_and_origins_are_refused() {
    let server = start(
        &definition(json!({ "mode": "public" })),
        &[],
        RouterOptions::default(),
    )
    .await;
    let http = reqwest::Client::new();
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    let rebinding = http
        .post(server.url("/mcp"))
        .header("host", "attacker.example")
        .header("accept", "application/json, text/event-stream")
        .json(&ping)
        .send()
        .await
        .expect("send");
    assert_eq!(rebinding.status(), 403);
    let origin = http
        .post(server.url("/mcp"))
        .header("origin", "https://attacker.example")
        .header("accept", "application/json, text/event-stream")
        .json(&ping)
        .send()
        .await
        .expect("send");
    assert_eq!(origin.status(), 403);
    let local_origin = http
        .get(server.url("/.well-known/oauth-protected-resource"))
        .header("origin", "http://localhost:5173")
        .send()
        .await
        .expect("send");
    assert_eq!(local_origin.status(), 200);

    let env = [("FRONTMCP_PUBLIC_URL", "https://mcp.example.com")];
    let public = start(
        &definition(json!({ "mode": "public" })),
        &env,
        RouterOptions::default(),
    )
    .await;
    let loopback = reqwest::get(public.url("/.well-known/oauth-protected-resource"))
        .await
        .expect("get");
    assert_eq!(
        loopback.status(),
        403,
        "a deployment with a public URL does not answer for loopback names"
    );
}

#[tokio::test]
async fn prompts_are_composed_and_public_access_prompts_is_enforced() {
    let definition = ServerDefinition::new("PromptServer")
        .with_base(
            json!({ "auth": { "mode": "public", "public_access": { "prompts": ["greeting"] } } }),
        )
        .app::<MathApp>("math")
        .app::<PromptApp>("prompts");
    let server = start(&definition, &[], RouterOptions::default()).await;
    let mut client = Client::new(server.url("/mcp"));
    assert_eq!(client.initialize().await.status, 200);
    let listed = client.request("prompts/list", json!({})).await;
    let mut names: Vec<&str> = listed.result()["prompts"]
        .as_array()
        .expect("prompts")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["greeting"],
        "a caller without a token is listed the public prompts only"
    );
    let tools = client.tool_names().await;
    assert!(
        tools.contains(&"add".to_owned()),
        "an app without prompts and one without tools compose: {tools:?}"
    );

    let greeting = client
        .request("prompts/get", json!({"name": "greeting"}))
        .await;
    assert_eq!(greeting.status, 200);
    assert_eq!(
        greeting.result()["messages"][0]["content"]["text"],
        "Say hello"
    );
    let secret = client
        .request("prompts/get", json!({"name": "secret_plan"}))
        .await;
    assert_eq!(secret.status, 401, "{}", secret.text);
    assert!(
        secret
            .header("www-authenticate")
            .is_some_and(|c| c.starts_with("Bearer resource_metadata="))
    );
}
