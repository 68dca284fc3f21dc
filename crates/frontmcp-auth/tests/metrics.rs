//! `/metrics` shows the counters moving during a flow: tokens issued, refreshes, reuse
//! detections, authentication failures, and the issuance latency histogram.

mod common;

use common::local::Local;
use serde_json::json;

/// The value of the metric line starting with `prefix` (0 when absent).
fn value(text: &str, prefix: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn the_counters_move_during_a_flow() {
    let local = Local::start(json!({})).await;
    let before = local.get("/metrics").await;
    assert_eq!(before.status, 200);
    assert!(
        before
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/plain; version=0.0.4")),
        "Prometheus text"
    );
    let before = before.text;

    let (client_id, tokens) = local.tokens().await;
    let first = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let rotated = local.refresh(&client_id, &first).await.json();
    local.clock.advance(60);
    let reused = local.refresh(&client_id, &first).await;
    assert_eq!(reused.status, 400, "reuse outside the grace window");
    assert_eq!(local.mcp_status("not-a-token").await, 401);
    let _ = rotated;

    let after = local.get("/metrics").await.text;
    let delta = |prefix: &str| value(&after, prefix) - value(&before, prefix);
    assert!(delta("frontmcp_auth_tokens_issued_total{grant_type=\"authorization_code\"} ") >= 1.0);
    assert!(delta("frontmcp_auth_tokens_issued_total{grant_type=\"refresh_token\"} ") >= 1.0);
    assert!(delta("frontmcp_auth_refreshes_total ") >= 1.0);
    assert!(delta("frontmcp_auth_reuse_detected_total{kind=\"refresh_token\"} ") >= 1.0);
    assert!(delta("frontmcp_auth_failures_total{reason=\"invalid_grant\"} ") >= 1.0);
    assert!(delta("frontmcp_auth_failures_total{reason=\"invalid_token\"} ") >= 1.0);
    assert!(delta("frontmcp_auth_token_issuance_seconds_count ") >= 2.0);
    assert!(after.contains("frontmcp_auth_jwks_fetch_errors_total "));
    assert!(after.contains("frontmcp_auth_storage_errors_total "));
    for secret in [
        first.as_str(),
        tokens["access_token"].as_str().unwrap_or("x"),
        client_id.as_str(),
    ] {
        assert!(
            !after.contains(secret),
            "no token or client id in the metrics"
        );
    }
}
