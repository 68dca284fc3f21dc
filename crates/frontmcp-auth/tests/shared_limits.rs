//! Rate limits shared by instances through a real Redis server, what happens when that Redis is
//! gone, and the request timeout when a request is stuck on a frozen Redis.

mod common;

use std::sync::Arc;

use common::local::{Local, START, definition_with, form};
use frontmcp_auth::Clock;
use frontmcp_auth::store::{MemoryStore, Store};
use frontmcp_auth_testkit::RedisServer;
use serde_json::{Value, json};

/// An instance with `security` on a store of its own over `redis` (one connection per
/// instance, as two processes would have), keys under one shared prefix.
async fn instance(redis: &RedisServer, security: Value) -> Local {
    let clock = Clock::manual(START);
    let store = common::redis_store(redis, "shared:", clock.clone());
    Local::start_with_store(
        &definition_with(json!({}), json!({ "security": security })),
        &[],
        clock,
        store,
    )
    .await
}

/// Token requests limited to three per minute.
fn three_per_minute() -> Value {
    json!({"rate_limits": {"enabled": true, "token": {"limit": 3, "window": 60}}})
}

/// A refresh grant for a client that does not exist: 401 unless something refuses it first.
async fn token_request(server: &Local) -> (u16, String) {
    let body = form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", "x"),
        ("client_id", "nobody"),
    ]);
    let reply = server.post_form("/oauth/token", body, &[]).await;
    (reply.status, reply.text)
}

#[tokio::test]
async fn two_instances_on_one_redis_share_each_limit() {
    let redis = RedisServer::start();
    let a = instance(&redis, three_per_minute()).await;
    let b = instance(&redis, three_per_minute()).await;
    assert_eq!(token_request(&a).await.0, 401);
    assert_eq!(token_request(&b).await.0, 401);
    assert_eq!(token_request(&a).await.0, 401);
    let (status, text) = token_request(&b).await;
    assert_eq!(
        status, 429,
        "the fourth request overall, the second at b: {text}"
    );
    assert_eq!(token_request(&a).await.0, 429, "a sees the same count");
    // The next window, by both instances' clocks.
    let rest = 60 - START % 60;
    a.clock.advance(rest);
    b.clock.advance(rest);
    assert_eq!(token_request(&b).await.0, 401, "a new window");
}

#[tokio::test]
async fn instances_on_their_own_memory_store_count_alone() {
    let security = json!({ "security": three_per_minute() });
    let definition = definition_with(json!({}), security);
    let mut servers = Vec::new();
    for _ in 0..2 {
        let clock = Clock::manual(START);
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new(clock.clone()));
        servers.push(Local::start_with_store(&definition, &[], clock, store).await);
    }
    for _ in 0..3 {
        assert_eq!(token_request(&servers[0]).await.0, 401);
    }
    assert_eq!(token_request(&servers[0]).await.0, 429);
    assert_eq!(
        token_request(&servers[1]).await.0,
        401,
        "without a shared store the other instance has its own count"
    );
}

#[tokio::test]
async fn with_redis_gone_each_instance_still_counts_on_its_own() {
    let mut redis = RedisServer::start();
    let a = instance(&redis, three_per_minute()).await;
    assert_eq!(token_request(&a).await.0, 401);
    redis.kill();
    for _ in 0..3 {
        let (status, text) = token_request(&a).await;
        assert_ne!(status, 429, "within the limit of this process: {text}");
        assert!(status >= 400, "{status} {text}");
    }
    let (status, text) = token_request(&a).await;
    assert_eq!(
        status, 429,
        "the process keeps counting while the shared counter is down: {text}"
    );
}

#[tokio::test]
async fn a_request_stuck_on_a_frozen_store_gets_503_at_the_request_timeout() {
    let redis = RedisServer::start();
    let a = instance(&redis, json!({"request_timeout": 1})).await;
    assert_eq!(token_request(&a).await.0, 401, "the store answers");
    redis.freeze();
    let body = form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", "x"),
        ("client_id", "nobody"),
    ]);
    let stuck = a.post_form("/oauth/token", body, &[]).await;
    redis.thaw();
    assert_eq!(stuck.status, 503, "{}", stuck.text);
    assert_eq!(stuck.header("retry-after"), Some("1"));
    assert_eq!(stuck.json()["error"], "temporarily_unavailable");
    assert_eq!(
        stuck.json()["error_description"],
        "no response within the request timeout of 1 s"
    );
    assert_eq!(
        token_request(&a).await.0,
        401,
        "served again once it answers"
    );
}

#[tokio::test]
async fn the_request_timeout_covers_a_shared_rate_limit_check() {
    let redis = RedisServer::start();
    let mut security = three_per_minute();
    security["request_timeout"] = json!(1);
    let a = instance(&redis, security).await;
    assert_eq!(token_request(&a).await.0, 401);
    redis.freeze();
    let (status, text) = token_request(&a).await;
    redis.thaw();
    assert_eq!(status, 503, "{text}");
    assert!(text.contains("request timeout"), "{text}");
}
