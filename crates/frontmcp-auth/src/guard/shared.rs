//! MCP sessions any instance serves (`http.mcp_sessions = "shared"`).
//!
//! When `initialize` creates a session, the guard stores its record: the owner (the same one
//! [`super::McpSessionOwners`] checks), the anonymous subject's end in public mode, and the
//! client's `initialize` parameters. An instance that gets a request for a session it does not
//! know reads the record and adopts it: the owner check then runs as for its own sessions, and
//! the MCP transport restores the session by replaying that `initialize`. The record lives
//! [`MCP_SESSION_IDLE`] after its last use (instances touch it at most every tenth of that),
//! one owner keeps at most [`MCP_SESSIONS_PER_OWNER`], and a `DELETE` ends it everywhere.
//!
//! The records go to the token storage when it is shared between instances (Redis, Redis
//! Cluster); otherwise they stay in the process ([`InProcessMcpSessions`]).

use std::sync::Arc;

use super::{Guard, Rejection};
use crate::clock::Clock;
use crate::store::{
    InProcessMcpSessions, MAX_IN_PROCESS_MCP_SESSIONS, MCP_SESSION_IDLE, MCP_SESSIONS_PER_OWNER,
    McpSessionRecord, McpSessionStore, Store, StoreResult,
};

/// Where this server's MCP session records are.
pub struct SharedSessions {
    store: Option<Arc<dyn Store>>,
    local: InProcessMcpSessions,
    clock: Clock,
    /// Records the guard just adopted, which the transport's restore reads next (instead of
    /// reading the store again); the newest [`ADOPTED_KEPT`].
    adopted: std::sync::Mutex<std::collections::VecDeque<McpSessionRecord>>,
}

/// Adopted records kept for the restore that follows.
const ADOPTED_KEPT: usize = 256;

impl std::fmt::Debug for SharedSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedSessions")
            .field("in_store", &self.store.is_some())
            .finish_non_exhaustive()
    }
}

impl SharedSessions {
    /// Records in `store` when it keeps MCP sessions (a store shared between instances),
    /// else in the process.
    pub fn new(store: Option<Arc<dyn Store>>, clock: Clock) -> Self {
        Self {
            store: store.filter(|s| s.mcp_sessions().is_some()),
            local: InProcessMcpSessions::new(clock.clone(), MAX_IN_PROCESS_MCP_SESSIONS),
            clock,
            adopted: std::sync::Mutex::default(),
        }
    }

    /// The backend the records go to.
    pub fn backend(&self) -> &dyn McpSessionStore {
        match self.store.as_deref().and_then(|s| s.mcp_sessions()) {
            Some(shared) => shared,
            None => &self.local,
        }
    }

    /// Whether the records are shared between instances.
    pub fn in_store(&self) -> bool {
        self.store.is_some()
    }

    /// Whether response streams' events are logged in the store (so any instance resumes them).
    pub fn keeps_events(&self) -> bool {
        self.backend().keeps_mcp_events()
    }

    /// Stores a new session; returns the owner's sessions that went past the bound.
    pub async fn create(
        &self,
        id: &str,
        owner: &str,
        anonymous_until: Option<u64>,
        initialize: String,
    ) -> StoreResult<Vec<String>> {
        let record = McpSessionRecord {
            id: id.to_owned(),
            owner: owner.to_owned(),
            anonymous_until,
            initialize,
            keep_until: self.clock.now() + MCP_SESSION_IDLE,
        };
        self.backend()
            .put_mcp_session(record, MCP_SESSIONS_PER_OWNER)
            .await
    }

    /// Keeps a record the guard just adopted for the transport's restore.
    pub fn keep_for_restore(&self, record: McpSessionRecord) {
        if let Ok(mut adopted) = self.adopted.lock() {
            if adopted.len() >= ADOPTED_KEPT {
                adopted.pop_front();
            }
            adopted.push_back(record);
        }
    }

    /// The record of `id` for the transport's restore: the one the guard just adopted, else the
    /// store's.
    pub async fn for_restore(&self, id: &str) -> StoreResult<Option<McpSessionRecord>> {
        let adopted = self.adopted.lock().ok().and_then(|mut adopted| {
            let at = adopted.iter().position(|r| r.id == id)?;
            adopted.remove(at)
        });
        match adopted {
            Some(record) if record.keep_until > self.clock.now() => Ok(Some(record)),
            _ => self.find(id).await,
        }
    }

    /// The session's record, while it lasts.
    pub async fn find(&self, id: &str) -> StoreResult<Option<McpSessionRecord>> {
        self.backend().mcp_session(id).await
    }

    /// Keeps the session another [`MCP_SESSION_IDLE`]; `false` when it is gone.
    pub async fn touch(&self, id: &str) -> StoreResult<bool> {
        self.backend()
            .touch_mcp_session(id, self.clock.now() + MCP_SESSION_IDLE)
            .await
    }

    /// The key every instance signs event ids with (only for records in a shared store).
    pub async fn event_key(&self) -> StoreResult<String> {
        self.backend().mcp_event_key().await
    }

    /// Ends the session everywhere.
    pub async fn delete(&self, id: &str) -> StoreResult<()> {
        self.backend().delete_mcp_session(id).await
    }
}

/// Longer than any session id this server makes: such a header names no record.
const MAX_SESSION_ID: usize = 128;

impl Guard {
    /// Adopts `session` when another instance created it (the owner check just failed here):
    /// its owner (and, in public mode, its anonymous subject) come from the shared record, so
    /// the owner check can run again. `true` when adopted; an unreachable store is a 503. Runs
    /// only on that failure path, never for a session this instance holds.
    pub(super) async fn adopt_shared(&self, session: &str) -> Result<bool, Rejection> {
        let Some(shared) = &self.shared else {
            return Ok(false);
        };
        if session.len() > MAX_SESSION_ID || self.mcp_sessions.knows(session) {
            return Ok(false);
        }
        let record = shared.find(session).await.map_err(|error| {
            tracing::warn!(target: "frontmcp_auth::guard", "an MCP session cannot be read: {error}");
            crate::metrics::count(crate::metrics::Counter::StorageErrors, "");
            Rejection::Unavailable
        })?;
        let Some(record) = record else {
            return Ok(false);
        };
        if let (Some(until), Some(anonymous), Some(subject)) = (
            record.anonymous_until,
            &self.anonymous,
            record.owner.strip_prefix("anonymous\n"),
        ) {
            anonymous.bind_until(session, subject, until);
        }
        self.mcp_sessions.bind(session, &record.owner);
        shared.keep_for_restore(record);
        Ok(true)
    }

    /// The owner check of a request on `session`, with renewal of its shared record due or not.
    pub(super) fn check_session(&self, session: &str, owner: &str) -> (bool, bool) {
        let renew = self
            .shared
            .as_ref()
            .map(|shared| (shared.clock.now(), MCP_SESSION_IDLE / 10));
        self.mcp_sessions.check_renewing(session, owner, renew)
    }

    /// Keeps the shared record of a session in use alive (`due` from [`Guard::check_session`],
    /// at most every tenth of its idle lifetime per instance). A record found gone (its owner
    /// ended the session through another instance, or a bound did) ends the session here too,
    /// for the next request.
    pub(super) async fn keep_shared_alive(&self, session: &str, due: bool) {
        let Some(shared) = self.shared.as_ref().filter(|_| due) else {
            return;
        };
        match shared.touch(session).await {
            Ok(true) => {}
            Ok(false) => self.mcp_sessions.let_go(vec![session.to_owned()]),
            Err(error) => {
                tracing::warn!(target: "frontmcp_auth::guard", "an MCP session was not kept alive: {error}");
            }
        }
    }

    /// Stores the record of a session `initialize` (in `body`) just created. Sessions of the
    /// same owner past the shared bound end here too.
    pub(super) async fn share_created(
        &self,
        session: &str,
        owner: &str,
        anonymous_until: Option<u64>,
        body: &[u8],
    ) {
        let Some(shared) = &self.shared else {
            return;
        };
        let Some(params) = initialize_params(body) else {
            return;
        };
        match shared.create(session, owner, anonymous_until, params).await {
            Ok(ended) if !ended.is_empty() => self.mcp_sessions.let_go(ended),
            Ok(_) => {}
            // The session still works on this instance; another one answers 404 and the
            // client starts a new session.
            Err(error) => tracing::warn!(
                target: "frontmcp_auth::guard",
                "an MCP session is served by this instance only: {error}"
            ),
        }
    }
}

/// The `params` of the `initialize` request in a POST body, as JSON.
fn initialize_params(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let is_initialize =
        |m: &serde_json::Value| m.get("method").and_then(|v| v.as_str()) == Some("initialize");
    let message = match &value {
        serde_json::Value::Array(batch) => batch.iter().find(|m| is_initialize(m))?,
        single if is_initialize(single) => single,
        _ => return None,
    };
    Some(message.get("params")?.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_initialize_params_are_taken_from_the_body() {
        let body = br#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18"}}"#;
        assert_eq!(
            super::initialize_params(body).as_deref(),
            Some(r#"{"protocolVersion":"2025-06-18"}"#)
        );
        assert_eq!(
            super::initialize_params(br#"{"method":"tools/list"}"#),
            None
        );
        assert_eq!(super::initialize_params(b"not json"), None);
    }
}
