//! Malformed, hostile and oversized input against the MCP endpoint and the discovery routes:
//! every answer is a clear 4xx, never a 500, a panic or a hang.

mod common;

use std::time::Duration;

use common::apps::MathApp;
use common::idp::{KeyServer, es256};
use common::mcp::start;
use frontmcp_auth::ServerDefinition;
use frontmcp_auth::http::RouterOptions;
use serde_json::json;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

#[tokio::test]
async fn hostile_requests_get_4xx_never_5xx() {
    let key = es256("ec-1");
    let idp = KeyServer::start(&[&key]).await;
    let public = ServerDefinition::new("Public")
        .with_base(json!({ "auth": { "mode": "public", "public_access": { "tools": ["echo"] } } }))
        .app::<MathApp>("math");
    let transparent = ServerDefinition::new("Transparent")
        .with_base(json!({ "auth": { "mode": "transparent", "provider": idp.issuer, "expected_audience": "aud" } }))
        .app::<MathApp>("math");
    for definition in [public, transparent] {
        let server = start(&definition, &[], RouterOptions::default()).await;
        let mcp = server.url("/mcp");
        let http = client();
        let accept = "application/json, text/event-stream";
        let huge_token = "a".repeat(64 * 1024);
        let forged_jwt = format!("{}.{}.{}", "e".repeat(40), "f".repeat(40), "g".repeat(40));
        let cases: Vec<(&str, reqwest::RequestBuilder)> = vec![
            ("garbage body", http.post(&mcp).header("accept", accept).header("content-type", "application/json").body("{not json")),
            ("empty body", http.post(&mcp).header("accept", accept).header("content-type", "application/json")),
            ("wrong content type", http.post(&mcp).header("accept", accept).header("content-type", "text/plain").body("hello")),
            ("huge bearer", http.post(&mcp).header("accept", accept).bearer_auth(&huge_token).json(&json!({}))),
            ("forged jwt", http.post(&mcp).header("accept", accept).bearer_auth(&forged_jwt).json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))),
            ("two authorization headers", http.post(&mcp).header("accept", accept).header("authorization", "Bearer a").header("authorization", "Bearer b").json(&json!({}))),
            ("huge body", http.post(&mcp).header("accept", accept).header("content-type", "application/json").body(vec![b'['; 5 * 1024 * 1024])),
            ("batch of calls", http.post(&mcp).header("accept", accept).json(&json!([{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "add"}}, "x", 3]))),
            ("non-string tool name", http.post(&mcp).header("accept", accept).json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": {"$gt": ""}}}))),
            ("lying mcp headers", http.post(&mcp).header("accept", accept).header("mcp-method", "ping").header("mcp-name", "\u{1}").json(&json!({}))),
            ("unknown session", http.post(&mcp).header("accept", accept).header("mcp-session-id", "../../etc/passwd").json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))),
            ("delete without session", http.delete(&mcp)),
            ("put", http.put(&mcp).body("x")),
            ("metadata with junk path", http.get(server.url("/.well-known/oauth-protected-resource/%00%ff"))),
            ("metadata with long host", http.get(server.url("/.well-known/oauth-protected-resource")).header("host", "a".repeat(300))),
        ];
        let total = cases.len();
        let mut answered = Vec::new();
        for (name, request) in cases {
            let Ok(response) = request.send().await else {
                continue;
            };
            let status = response.status().as_u16();
            assert!(
                status < 500,
                "{}: {name} answered {status}",
                definition.name()
            );
            let _ = response.bytes().await;
            answered.push((name, status));
        }
        assert!(
            answered.len() >= total - 1,
            "most requests must get an answer: {answered:?}"
        );
        let status_of = |case: &str| answered.iter().find(|(n, _)| *n == case).map(|(_, s)| *s);
        assert_eq!(status_of("two authorization headers"), Some(400));
        assert_eq!(status_of("forged jwt"), Some(401));
        assert_eq!(status_of("metadata with long host"), Some(403));
        let still_alive = http
            .get(server.url("/.well-known/oauth-protected-resource"))
            .send()
            .await
            .expect("the server still answers");
        assert_eq!(still_alive.status(), 200);
    }
}
