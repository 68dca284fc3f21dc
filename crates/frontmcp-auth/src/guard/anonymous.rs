//! Anonymous sessions for tokenless callers: `anon:<uuid>`, `anonymous_scopes`, `session_ttl`.
//!
//! A session is tied to the MCP session the client gets at `initialize` (`Mcp-Session-Id`), so
//! every request of one MCP session sees the same anonymous subject. The table is bounded: when
//! full, expired entries are swept and, if still full, the oldest is dropped.

use std::collections::HashMap;
use std::sync::Mutex;

use super::AuthContext;
use crate::clock::Clock;

/// Anonymous sessions keyed by MCP session id.
#[derive(Debug)]
pub struct AnonymousSessions {
    scopes: Vec<String>,
    ttl: u64,
    max_entries: usize,
    clock: Clock,
    entries: Mutex<HashMap<String, (String, u64)>>,
}

impl AnonymousSessions {
    /// Sessions lasting `ttl` seconds with `scopes`, at most `max_entries` remembered.
    pub fn new(scopes: Vec<String>, ttl: u64, max_entries: usize, clock: Clock) -> Self {
        Self {
            scopes,
            ttl,
            max_entries: max_entries.max(1),
            clock,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The anonymous caller for a request carrying `mcp_session` (if any): the session's
    /// subject while it lives, else a new subject.
    pub fn context(&self, mcp_session: Option<&str>) -> AuthContext {
        let now = self.clock.now();
        if let Some(session) = mcp_session
            && let Ok(entries) = self.entries.lock()
            && let Some((subject, expires)) = entries.get(session)
            && *expires > now
        {
            let mut context =
                AuthContext::anonymous(subject.clone(), self.scopes.clone(), Some(*expires));
            context.session_id = Some(session.to_owned());
            return context;
        }
        let subject = format!("anon:{}", uuid::Uuid::new_v4());
        AuthContext::anonymous(subject, self.scopes.clone(), Some(now + self.ttl))
    }

    /// Remembers that `subject` now owns MCP session `session`.
    pub fn bind(&self, session: &str, subject: &str) {
        self.bind_until(session, subject, self.clock.now() + self.ttl);
    }

    /// Remembers that `subject` owns MCP session `session` until `until` (a session another
    /// instance created).
    pub fn bind_until(&self, session: &str, subject: &str, until: u64) {
        let now = self.clock.now();
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= self.max_entries {
            entries.retain(|_, (_, expires)| *expires > now);
        }
        if entries.len() >= self.max_entries
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, (_, e))| *e)
                .map(|(k, _)| k.clone())
        {
            entries.remove(&oldest);
        }
        entries.insert(session.to_owned(), (subject.to_owned(), until));
    }

    /// How many sessions are remembered.
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    /// Whether no session is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_keeps_its_subject_until_it_expires() {
        let clock = Clock::manual(1_000);
        let sessions = AnonymousSessions::new(vec!["anonymous".into()], 60, 10, clock.clone());
        let first = sessions.context(None);
        assert!(first.subject.starts_with("anon:"));
        assert_eq!(first.scopes, ["anonymous"]);
        assert_eq!(first.expires_at, Some(1_060));
        sessions.bind("s1", &first.subject);
        assert_eq!(sessions.context(Some("s1")).subject, first.subject);
        clock.advance(61);
        assert_ne!(sessions.context(Some("s1")).subject, first.subject);
    }

    #[test]
    fn the_table_is_bounded() {
        let clock = Clock::manual(0);
        let sessions = AnonymousSessions::new(Vec::new(), 60, 3, clock.clone());
        for i in 0..10 {
            clock.advance(1);
            sessions.bind(&format!("s{i}"), "anon:x");
        }
        assert_eq!(sessions.len(), 3);
        assert_eq!(sessions.context(Some("s9")).subject, "anon:x");
    }
}
