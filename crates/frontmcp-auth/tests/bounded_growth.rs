//! Bounded growth: one user cannot fill a store for everyone, and dynamically registered clients
//! expire when unused. Real HTTP on loopback; time is the server's manual clock.

mod common;

use std::sync::Arc;

use common::local::{Local, START, VERIFIER, definition};
use frontmcp_auth::Clock;
use frontmcp_auth::store::{MAX_CODES_PER_SUBJECT, MemoryLimits, MemoryStore};
use serde_json::json;

/// Signs `email` in at `client_id`: the finished redirect's code.
async fn code_for(local: &Local, client_id: &str, email: &str) -> String {
    let page = local.authorize(client_id, &[]).await;
    let done = local.login(&page, email).await;
    assert_eq!(done.status, 302, "{}", done.text);
    done.location_param("code").expect("code")
}

/// Issue 19: the memory store's bound is global, but what one subject holds is bounded per
/// subject (codes by `MAX_CODES_PER_SUBJECT`, sessions by `max_concurrent_sessions`, default
/// 100), so a user signing in in a loop never makes the store answer 503 to anyone else.
#[tokio::test]
async fn one_subject_cannot_push_the_memory_store_into_global_503s() {
    const MAX_RECORDS: usize = 600;
    let clock = Clock::manual(START);
    let store = Arc::new(MemoryStore::with_limits(
        clock.clone(),
        MemoryLimits {
            max_records: MAX_RECORDS,
        },
    ));
    let local = Local::start_with_store(&definition(json!({})), &[], clock, store.clone()).await;
    let client_id = local.public_client().await;

    // Codes never redeemed, then logins carried through to tokens: together more than the
    // store holds.
    for _ in 0..500 {
        code_for(&local, &client_id, "mallory@example.com").await;
    }
    let mut last_refresh = String::new();
    for _ in 0..300 {
        let code = code_for(&local, &client_id, "mallory@example.com").await;
        let reply = local.exchange(&client_id, &code, VERIFIER).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        last_refresh = reply.json()["refresh_token"]
            .as_str()
            .expect("refresh")
            .to_owned();
    }
    assert!(
        store.record_count() < MAX_RECORDS,
        "{} records after 800 logins of one user",
        store.record_count()
    );
    assert!(
        store.record_count() <= MAX_CODES_PER_SUBJECT + 3 * 100 + 1,
        "codes, and 100 sessions with their families and tokens: {}",
        store.record_count()
    );

    // Everyone else, and the looping user's newest session, carry on.
    let code = code_for(&local, &client_id, "ada@example.com").await;
    let reply = local.exchange(&client_id, &code, VERIFIER).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let refresh = reply.json()["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    assert_eq!(local.refresh(&client_id, &refresh).await.status, 200);
    assert_eq!(local.refresh(&client_id, &last_refresh).await.status, 200);
}
