//! MCP sessions any instance serves (`http.mcp_sessions = "shared"`, the default): two servers
//! on one Redis. A session created on one is served by the other with the same owner check;
//! a stream's events are resumed on the other from the store's event log, and only by the
//! session they belong to; a DELETE through one ends the session on the other at its next
//! keep-alive check. With `mcp_sessions = "local"` the other instance does not know it.

mod common;

use common::local::{Local, START, definition_with};
use common::mcp::{Client, on_session, text_of};
use common::redis_store;
use frontmcp_auth::Clock;
use frontmcp_auth_testkit::RedisServer;
use serde_json::{Value, json};

const ENV: &[(&str, &str)] = &[("FRONTMCP_PUBLIC_URL", "http://127.0.0.1")];

async fn two_instances(redis: &RedisServer, top: Value) -> (Local, Local) {
    let clock = Clock::manual(START);
    let definition = definition_with(json!({}), top);
    let a = Local::start_with_store(
        &definition,
        ENV,
        clock.clone(),
        redis_store(redis, "shared:", clock.clone()),
    )
    .await;
    let b = Local::start_with_store(
        &definition,
        ENV,
        clock.clone(),
        redis_store(redis, "shared:", clock),
    )
    .await;
    (a, b)
}

/// One request on `session` at `server`, with `token`: its status and body.
async fn raw(
    server: &Local,
    method: reqwest::Method,
    session: &str,
    token: &str,
    extra: &[(&str, &str)],
) -> (u16, String) {
    on_session(&server.url("/mcp"), method, session, Some(token), extra).await
}

/// The SSE event ids in a response body.
fn event_ids(body: &str) -> Vec<String> {
    body.lines()
        .filter_map(|line| line.strip_prefix("id:"))
        .map(|id| id.trim().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_is_served_by_another_instance_for_its_owner_only() {
    let redis = RedisServer::start();
    let (a, b) = two_instances(&redis, json!({})).await;
    let client_id = a.public_client().await;
    let ada = a.access_token(&client_id, "ada@example.com").await;
    let bob = b.access_token(&client_id, "bob@example.com").await;

    let mut on_a = Client::new(a.url("/mcp")).with_token(&ada);
    assert_eq!(on_a.initialize().await.status, 200);
    let session = on_a.session().expect("a session id").to_owned();

    // The other instance restores the session: same id, same owner.
    let mut on_b = on_a.moved_to(b.url("/mcp"));
    let answer = on_b.call("whoami", json!({})).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert!(
        text_of(&answer).starts_with("ada@example.com"),
        "{}",
        answer.text
    );
    assert_eq!(on_b.session(), Some(session.as_str()));
    assert!(!on_b.tool_names().await.is_empty());

    // Another user's token on it is refused there too, for every method.
    for method in [
        reqwest::Method::POST,
        reqwest::Method::GET,
        reqwest::Method::DELETE,
    ] {
        let (status, _) = raw(&b, method.clone(), &session, &bob, &[]).await;
        assert_eq!(status, 404, "bob: {method}");
    }
    // A Last-Event-ID of another session's stream is refused.
    let foreign = format!("{}|x/1-0", "f".repeat(session.len()));
    let (status, _) = raw(
        &b,
        reqwest::Method::GET,
        &session,
        &ada,
        &[("last-event-id", &foreign)],
    )
    .await;
    assert_eq!(status, 404);

    // A stream answered on A is resumed on B from the event log: the events after the first.
    let answer = on_a.call("whoami", json!({})).await;
    let ids = event_ids(&answer.text);
    assert!(
        ids.len() >= 2,
        "a priming event and the response: {}",
        answer.text
    );
    assert!(
        ids.iter().all(|id| id.starts_with(&format!("{session}|"))),
        "{ids:?}"
    );
    let (status, replay) = raw(
        &b,
        reqwest::Method::GET,
        &session,
        &ada,
        &[("last-event-id", &ids[0])],
    )
    .await;
    assert_eq!(status, 200, "{replay}");
    assert_eq!(event_ids(&replay), ids[1..], "{replay}");
    assert!(replay.contains("ada@example.com"), "{replay}");

    // A leaked event id of Ada's, moved under Bob's own session, replays nothing: the id is
    // signed for the session it was given on.
    let mut bobs = Client::new(b.url("/mcp")).with_token(&bob);
    assert_eq!(bobs.initialize().await.status, 200);
    let bob_session = bobs.session().expect("a session id").to_owned();
    let transplanted = ids[0].replacen(&session, &bob_session, 1);
    let (status, replay) = raw(
        &b,
        reqwest::Method::GET,
        &bob_session,
        &bob,
        &[("last-event-id", &transplanted)],
    )
    .await;
    assert_eq!(status, 200, "{replay}");
    assert!(event_ids(&replay).is_empty(), "{replay}");
    assert!(!replay.contains("ada@example.com"), "{replay}");

    // The owner ends it through B; A lets it go at its next keep-alive check.
    let (status, _) = raw(&b, reqwest::Method::DELETE, &session, &ada, &[]).await;
    assert!((200..300).contains(&status), "{status}");
    let (status, _) = raw(&b, reqwest::Method::POST, &session, &ada, &[]).await;
    assert_eq!(status, 404, "ended on B");
    a.clock.advance(frontmcp_auth::store::MCP_SESSION_IDLE / 10);
    let (status, _) = raw(&a, reqwest::Method::POST, &session, &ada, &[]).await;
    assert_eq!(status, 200, "the check runs after this answer");
    let (status, _) = raw(&a, reqwest::Method::POST, &session, &ada, &[]).await;
    assert_eq!(status, 404, "ended on A");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_local_sessions_another_instance_does_not_know_the_session() {
    let redis = RedisServer::start();
    let (a, b) = two_instances(&redis, json!({"http": {"mcp_sessions": "local"}})).await;
    let client_id = a.public_client().await;
    let ada = a.access_token(&client_id, "ada@example.com").await;
    let mut on_a = Client::new(a.url("/mcp")).with_token(&ada);
    assert_eq!(on_a.initialize().await.status, 200);
    let answer = on_a.call("whoami", json!({})).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let session = on_a.session().expect("a session id").to_owned();
    let (status, _) = raw(&b, reqwest::Method::POST, &session, &ada, &[]).await;
    assert_eq!(status, 404);
    assert_eq!(redis.count_keys("shared:mcp"), 0, "nothing stored");
}
