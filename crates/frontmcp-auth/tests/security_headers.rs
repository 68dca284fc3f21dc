//! Every response carries the security headers; HSTS only when the server is reached over
//! HTTPS.

mod common;

use common::local::{Local, definition};
use serde_json::json;

fn assert_headers(reply: &common::local::Reply, what: &str, hsts: bool) {
    assert_eq!(
        reply.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(reply.header("x-frame-options"), Some("DENY"), "{what}");
    assert!(reply.header("referrer-policy").is_some(), "{what}");
    assert!(
        reply
            .header("permissions-policy")
            .is_some_and(|p| p.contains("camera=()")),
        "{what}"
    );
    assert_eq!(
        reply.header("strict-transport-security").is_some(),
        hsts,
        "{what}: HSTS only over HTTPS"
    );
}

#[tokio::test]
async fn every_kind_of_answer_carries_the_headers() {
    let local = Local::start(json!({})).await;
    let client_id = local.public_client().await;
    let answers = [
        (
            "discovery",
            local.get("/.well-known/oauth-authorization-server").await,
        ),
        (
            "protected resource",
            local.get("/.well-known/oauth-protected-resource").await,
        ),
        ("jwks", local.get("/.well-known/jwks.json").await),
        ("metrics", local.get("/metrics").await),
        ("login page", local.authorize(&client_id, &[]).await),
        (
            "token error",
            local
                .post_form("/oauth/token", "grant_type=nope".into(), &[])
                .await,
        ),
        ("mcp 401", local.post_json("/mcp", json!({}), &[]).await),
        ("not found", local.get("/nothing-here").await),
        (
            "host refused",
            local
                .post_json("/mcp", json!({}), &[("origin", "https://evil.example")])
                .await,
        ),
    ];
    for (what, reply) in &answers {
        assert_headers(reply, what, false);
    }
    assert_eq!(
        answers[4].1.header("referrer-policy"),
        Some("same-origin"),
        "the HTML pages keep their own policy"
    );
    assert_eq!(answers[8].1.status, 403);
}

#[tokio::test]
async fn hsts_when_the_public_url_is_https() {
    let local = Local::start_definition(
        &definition(json!({})),
        &[("FRONTMCP_PUBLIC_URL", "https://127.0.0.1")],
    )
    .await;
    let reply = local.get("/.well-known/oauth-protected-resource").await;
    assert_headers(&reply, "https", true);
    assert!(
        reply
            .header("strict-transport-security")
            .is_some_and(|h| h.starts_with("max-age=31536000"))
    );
}
