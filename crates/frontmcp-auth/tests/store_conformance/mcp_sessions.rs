//! MCP sessions on a store shared between instances: records that expire, are kept alive and
//! bounded per owner, and each response stream's event log, bounded and per stream.

use super::*;
use frontmcp_auth::store::{MCP_EVENTS_PER_STREAM, McpSessionRecord};

fn record(id: &str, owner: &str, keep_until: u64) -> McpSessionRecord {
    McpSessionRecord {
        id: id.into(),
        owner: owner.into(),
        anonymous_until: None,
        initialize: r#"{"protocolVersion":"2025-06-18"}"#.into(),
        keep_until,
    }
}

pub(super) async fn mcp_sessions_are_kept_bounded_and_their_events_logged(backend: Backend) {
    let store = backend.store("main");
    let clock = backend.clock.clone();
    let Some(sessions) = store.mcp_sessions() else {
        // One instance alone uses memory and SQLite: the records stay in its process.
        assert!(
            matches!(store.backend(), "memory" | "sqlite"),
            "{}",
            store.backend()
        );
        return;
    };
    assert!(sessions.keeps_mcp_events());

    let a = record("a", "ann", START + 100);
    assert!(
        sessions
            .put_mcp_session(a.clone(), 2)
            .await
            .expect("put")
            .is_empty()
    );
    assert_eq!(sessions.mcp_session("a").await.expect("read"), Some(a));
    let other = backend.store("other");
    let other = other.mcp_sessions().expect("shared");
    assert_eq!(
        other.mcp_session("a").await.expect("read"),
        None,
        "prefixes isolate"
    );

    sessions
        .put_mcp_session(record("b", "bob", START + 100), 2)
        .await
        .expect("put");
    sessions
        .touch_mcp_session("b", START + 500)
        .await
        .expect("touch");
    clock.advance(100);
    assert_eq!(
        sessions.mcp_session("a").await.expect("read"),
        None,
        "expired"
    );
    assert_eq!(
        sessions
            .mcp_session("b")
            .await
            .expect("read")
            .map(|r| r.keep_until),
        Some(START + 500),
        "kept alive"
    );
    // Touching a deleted session does not bring it back.
    sessions.delete_mcp_session("b").await.expect("delete");
    sessions
        .touch_mcp_session("b", START + 900)
        .await
        .expect("touch");
    assert_eq!(sessions.mcp_session("b").await.expect("read"), None);

    // One owner keeps at most two here: a third ends the oldest.
    let now = START + 100;
    for id in ["c1", "c2"] {
        let ended = sessions
            .put_mcp_session(record(id, "cid", now + 100), 2)
            .await
            .expect("put");
        assert!(ended.is_empty(), "{ended:?}");
    }
    let ended = sessions
        .put_mcp_session(record("c3", "cid", now + 100), 2)
        .await
        .expect("put");
    assert_eq!(ended, ["c1"]);
    assert_eq!(sessions.mcp_session("c1").await.expect("read"), None);
    assert!(sessions.mcp_session("c3").await.expect("read").is_some());

    // The event log: ids increase, a resume gets what came after, per stream.
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            sessions
                .append_mcp_event("stream-1", format!("event {i}"))
                .await
                .expect("append"),
        );
    }
    let after = sessions
        .mcp_events_after("stream-1", &ids[0])
        .await
        .expect("replay");
    assert_eq!(
        after,
        vec![
            (ids[1].clone(), "event 1".to_owned()),
            (ids[2].clone(), "event 2".to_owned())
        ]
    );
    assert!(
        sessions
            .mcp_events_after("stream-2", &ids[0])
            .await
            .expect("replay")
            .is_empty()
    );
    assert!(
        sessions
            .mcp_events_after("stream-1", "(0-0 +")
            .await
            .expect("replay")
            .is_empty()
    );
    // Bounded: only the newest events stay.
    for i in 3..(MCP_EVENTS_PER_STREAM + 10) {
        sessions
            .append_mcp_event("stream-1", format!("event {i}"))
            .await
            .expect("append");
    }
    let kept = sessions
        .mcp_events_after("stream-1", "0-0")
        .await
        .expect("replay");
    assert_eq!(kept.len(), MCP_EVENTS_PER_STREAM);
    assert_eq!(
        kept.last().map(|(_, body)| body.as_str()),
        Some(format!("event {}", MCP_EVENTS_PER_STREAM + 9).as_str())
    );
}
