//! MCP sessions every instance can serve: who owns each one, how its client initialized it,
//! and (on a store shared between instances) the log of events a `Last-Event-ID` resumes from.
//!
//! A record lives [`MCP_SESSION_IDLE`] after its last use and one owner keeps at most
//! [`MCP_SESSIONS_PER_OWNER`] of them (a new one ends the oldest). An event stream keeps its
//! newest [`MCP_EVENTS_PER_STREAM`] events for [`MCP_EVENT_TTL`]. Stores not shared between
//! instances (memory, SQLite) keep the records in the process ([`InProcessMcpSessions`]) and
//! leave events to the MCP transport's own per-session cache.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::{StoreError, StoreResult};
use crate::clock::Clock;

/// Seconds an MCP session is kept after its last use.
pub const MCP_SESSION_IDLE: u64 = 3600;
/// Shared MCP sessions one owner may hold; a new one ends the oldest.
pub const MCP_SESSIONS_PER_OWNER: usize = 32;
/// MCP sessions kept in one process (memory and SQLite stores).
pub const MAX_IN_PROCESS_MCP_SESSIONS: usize = 100_000;
/// Events one stream keeps for a resume (older ones go).
pub const MCP_EVENTS_PER_STREAM: usize = 64;
/// Seconds an event stream is kept after its last event.
pub const MCP_EVENT_TTL: u64 = 300;

/// One MCP session, as every instance sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McpSessionRecord {
    /// The `Mcp-Session-Id`.
    pub id: String,
    /// Who created it (issuer, subject and client of its token; or the anonymous subject).
    pub owner: String,
    /// When the session's anonymous subject ends (public mode); absent for a token's session.
    pub anonymous_until: Option<u64>,
    /// The client's `initialize` parameters (JSON), replayed where the session is restored.
    pub initialize: String,
    /// The second it ends unless used again.
    pub keep_until: u64,
}

/// Where MCP sessions are kept.
pub trait McpSessionStore: Send + Sync {
    /// Stores a new session; the owner's oldest go past `per_owner`. Returns the ids that went.
    fn put_mcp_session(
        &self,
        record: McpSessionRecord,
        per_owner: usize,
    ) -> BoxFuture<'_, StoreResult<Vec<String>>>;

    /// The session with this id, while it lasts.
    fn mcp_session<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<McpSessionRecord>>>;

    /// Keeps a session until `keep_until`; `false` when it is gone (deleted or expired).
    fn touch_mcp_session<'a>(
        &'a self,
        id: &'a str,
        keep_until: u64,
    ) -> BoxFuture<'a, StoreResult<bool>>;

    /// Ends a session.
    fn delete_mcp_session<'a>(&'a self, id: &'a str) -> BoxFuture<'a, StoreResult<()>>;

    /// The key every instance sharing this store signs MCP event ids with: made once (random,
    /// 256 bits), then the same for all. A store one instance alone uses has none (the
    /// instance keeps its own).
    fn mcp_event_key(&self) -> BoxFuture<'_, StoreResult<String>> {
        Box::pin(std::future::ready(Err(StoreError::Unavailable(
            String::from("this store keeps no shared key"),
        ))))
    }

    /// Whether this store keeps the event log (a store shared between instances does).
    fn keeps_mcp_events(&self) -> bool {
        false
    }

    /// Appends an event (`body`, opaque) to `stream`, kept [`MCP_EVENT_TTL`] with the stream's
    /// newest [`MCP_EVENTS_PER_STREAM`]; returns its id within the stream (increasing).
    fn append_mcp_event<'a>(
        &'a self,
        stream: &'a str,
        body: String,
    ) -> BoxFuture<'a, StoreResult<String>> {
        let _ = (stream, body);
        Box::pin(std::future::ready(Err(StoreError::Unavailable(
            String::from("this store keeps no MCP event log"),
        ))))
    }

    /// The events of `stream` after the one with id `after`, oldest first, with their ids.
    fn mcp_events_after<'a>(
        &'a self,
        stream: &'a str,
        after: &'a str,
    ) -> BoxFuture<'a, StoreResult<Vec<(String, String)>>> {
        let _ = (stream, after);
        Box::pin(std::future::ready(Ok(Vec::new())))
    }
}

#[derive(Default)]
struct Sessions {
    records: HashMap<String, McpSessionRecord>,
    /// Each owner's sessions, oldest first.
    by_owner: HashMap<String, VecDeque<String>>,
}

impl Sessions {
    fn remove(&mut self, id: &str) -> Option<McpSessionRecord> {
        let record = self.records.remove(id)?;
        if let Some(list) = self.by_owner.get_mut(&record.owner) {
            list.retain(|s| s != id);
            if list.is_empty() {
                self.by_owner.remove(&record.owner);
            }
        }
        Some(record)
    }
}

/// MCP session records in this process: for stores that one instance alone uses.
pub struct InProcessMcpSessions {
    clock: Clock,
    max: usize,
    sessions: Mutex<Sessions>,
}

impl std::fmt::Debug for InProcessMcpSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcessMcpSessions")
            .field("max", &self.max)
            .finish_non_exhaustive()
    }
}

impl InProcessMcpSessions {
    /// At most `max` sessions, expiring by `clock`.
    pub fn new(clock: Clock, max: usize) -> Self {
        Self {
            clock,
            max: max.max(1),
            sessions: Mutex::new(Sessions::default()),
        }
    }

    /// How many sessions are kept now.
    pub fn len(&self) -> usize {
        self.sessions.lock().map(|s| s.records.len()).unwrap_or(0)
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn with<T>(&self, f: impl FnOnce(&mut Sessions, u64) -> T) -> StoreResult<T> {
        let mut sessions = self
            .sessions
            .lock()
            .map_err(|_| StoreError::Unavailable(String::from("MCP sessions: lock poisoned")))?;
        Ok(f(&mut sessions, self.clock.now()))
    }
}

impl McpSessionStore for InProcessMcpSessions {
    fn put_mcp_session(
        &self,
        record: McpSessionRecord,
        per_owner: usize,
    ) -> BoxFuture<'_, StoreResult<Vec<String>>> {
        let result = self.with(|sessions, now| {
            let mut ended = Vec::new();
            if sessions.records.len() >= self.max {
                let expired: Vec<String> = sessions
                    .records
                    .values()
                    .filter(|r| r.keep_until <= now)
                    .map(|r| r.id.clone())
                    .collect();
                for id in expired {
                    sessions.remove(&id);
                }
            }
            if sessions.records.len() >= self.max
                && let Some(oldest) = sessions
                    .records
                    .values()
                    .min_by_key(|r| r.keep_until)
                    .map(|r| r.id.clone())
            {
                sessions.remove(&oldest);
                ended.push(oldest);
            }
            let list = sessions.by_owner.entry(record.owner.clone()).or_default();
            list.push_back(record.id.clone());
            let mut excess = Vec::new();
            while list.len() > per_owner.max(1) {
                if let Some(oldest) = list.pop_front() {
                    excess.push(oldest);
                }
            }
            for id in excess {
                sessions.records.remove(&id);
                ended.push(id);
            }
            sessions.records.insert(record.id.clone(), record);
            ended
        });
        Box::pin(std::future::ready(result))
    }

    fn mcp_session<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<McpSessionRecord>>> {
        let result = self.with(|sessions, now| {
            sessions
                .records
                .get(id)
                .filter(|r| r.keep_until > now)
                .cloned()
        });
        Box::pin(std::future::ready(result))
    }

    fn touch_mcp_session<'a>(
        &'a self,
        id: &'a str,
        keep_until: u64,
    ) -> BoxFuture<'a, StoreResult<bool>> {
        let result = self.with(|sessions, now| match sessions.records.get_mut(id) {
            Some(record) if record.keep_until > now => {
                record.keep_until = record.keep_until.max(keep_until);
                true
            }
            _ => false,
        });
        Box::pin(std::future::ready(result))
    }

    fn delete_mcp_session<'a>(&'a self, id: &'a str) -> BoxFuture<'a, StoreResult<()>> {
        let result = self.with(|sessions, _| {
            sessions.remove(id);
        });
        Box::pin(std::future::ready(result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, owner: &str, keep_until: u64) -> McpSessionRecord {
        McpSessionRecord {
            id: id.into(),
            owner: owner.into(),
            anonymous_until: None,
            initialize: String::from("{}"),
            keep_until,
        }
    }

    #[tokio::test]
    async fn records_expire_are_touched_and_bounded_per_owner_and_in_all() {
        let clock = Clock::manual(1_000);
        let sessions = InProcessMcpSessions::new(clock.clone(), 4);
        assert!(
            sessions
                .put_mcp_session(record("a", "ann", 1_100), 2)
                .await
                .expect("store")
                .is_empty()
        );
        assert!(
            sessions
                .put_mcp_session(record("b", "ann", 1_100), 2)
                .await
                .expect("store")
                .is_empty()
        );
        // A third of Ann's ends her oldest.
        assert_eq!(
            sessions
                .put_mcp_session(record("c", "ann", 1_100), 2)
                .await
                .expect("store"),
            ["a"]
        );
        assert!(sessions.mcp_session("a").await.expect("store").is_none());
        assert_eq!(
            sessions
                .mcp_session("b")
                .await
                .expect("read")
                .expect("a record")
                .owner,
            "ann"
        );
        sessions
            .put_mcp_session(record("d", "bob", 1_050), 2)
            .await
            .expect("store");
        sessions
            .put_mcp_session(record("e", "cid", 1_200), 2)
            .await
            .expect("store");
        // Full: the one ending soonest goes.
        assert_eq!(
            sessions
                .put_mcp_session(record("f", "dan", 1_200), 2)
                .await
                .expect("store"),
            ["d"]
        );
        assert_eq!(sessions.len(), 4);
        assert!(sessions.touch_mcp_session("b", 1_300).await.expect("store"));
        assert!(
            !sessions
                .touch_mcp_session("zz", 1_300)
                .await
                .expect("store")
        );
        clock.advance(150);
        assert!(
            sessions.mcp_session("c").await.expect("store").is_none(),
            "expired"
        );
        assert!(
            sessions.mcp_session("b").await.expect("store").is_some(),
            "touched"
        );
        sessions.delete_mcp_session("b").await.expect("store");
        assert!(sessions.mcp_session("b").await.expect("store").is_none());
    }
}
