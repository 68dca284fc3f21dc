//! A refresh family's lifetime counts from the login: refreshing does not keep it alive past
//! `refresh_token_ttl`, and with `refresh.sliding` it slides but never past a year after the
//! login. Time is the server's manual clock.

mod common;

use common::local::Local;
use serde_json::json;

const DAY: u64 = 24 * 3600;

/// Refreshes every `step` seconds from the login; the number of refreshes that succeeded before
/// the first refusal (or `max` if none was refused).
async fn refreshes_until_refused(local: &Local, step: u64, max: usize) -> usize {
    let (client_id, tokens) = local.tokens().await;
    let mut refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    for done in 0..max {
        local.clock.advance(step);
        let reply = local.refresh(&client_id, &refresh).await;
        if reply.status != 200 {
            assert_eq!(reply.json()["error"], "invalid_grant", "{}", reply.text);
            return done;
        }
        refresh = reply.json()["refresh_token"]
            .as_str()
            .expect("refresh")
            .to_owned();
    }
    max
}

#[tokio::test]
async fn a_family_ends_at_its_lifetime_from_the_login_however_often_it_refreshes() {
    let local =
        Local::start(json!({"refresh": {"refresh_token_ttl": 1_000, "access_token_ttl": 200}}))
            .await;
    // Refreshes at 300, 600 and 900 s succeed; at 1 200 s the family has ended.
    assert_eq!(refreshes_until_refused(&local, 300, 10).await, 3);
}

#[tokio::test]
async fn a_sliding_family_slides_but_ends_a_year_after_the_login() {
    let local =
        Local::start(json!({"refresh": {"refresh_token_ttl": 30 * DAY, "sliding": true}})).await;
    // Every 29 days: past the 30-day lifetime many times, then refused after a year
    // (12 refreshes reach 348 days; the 13th, at 377 days, is past the year).
    assert_eq!(refreshes_until_refused(&local, 29 * DAY, 20).await, 12);
}
