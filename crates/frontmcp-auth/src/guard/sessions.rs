//! MCP sessions belong to the caller that created them.
//!
//! When `initialize` creates an `Mcp-Session-Id`, its owner is recorded: the token's issuer,
//! subject and client, or the anonymous subject in public mode. Every later request on that
//! session (POST, the GET stream and its `Last-Event-ID` resume, DELETE) from anyone else, or on
//! a session this guard does not know, is answered 404, which MCP clients take as "start a new
//! session". A leaked session id therefore gives nobody another user's results, elicitations or
//! cancellations.
//!
//! Records are bounded: at most [`PER_OWNER`] live sessions per owner (a new one ends the
//! owner's oldest), at most [`MAX_SESSIONS`] in all (idle ones go first, then the least recently
//! used), and a session unused for [`IDLE`] is forgotten. A session let go by a bound is also
//! ended in the MCP transport ([`McpSessionOwners::set_closer`]), so its memory goes with it.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::AuthContext;

/// Live MCP sessions one owner may hold; a new one ends the oldest.
pub const PER_OWNER: usize = 32;
/// MCP sessions remembered in all.
pub const MAX_SESSIONS: usize = 100_000;
/// How long an unused session is remembered (the MCP transport ends idle sessions sooner).
pub const IDLE: Duration = Duration::from_secs(3600);

struct Entry {
    owner: String,
    last_used: Instant,
    /// When (clock seconds) its shared record was last kept alive (`http.mcp_sessions =
    /// "shared"`); `None` until the first request after it was bound.
    shared_touch: Option<u64>,
    /// Order of last use (instants can tie).
    used: u64,
}

#[derive(Default)]
struct Inner {
    sessions: HashMap<String, Entry>,
    /// Each owner's sessions, oldest first.
    by_owner: HashMap<String, VecDeque<String>>,
    uses: u64,
}

impl Inner {
    /// Forgets `session`; `true` when it was remembered.
    fn remove(&mut self, session: &str) -> bool {
        let Some(entry) = self.sessions.remove(session) else {
            return false;
        };
        if let Some(list) = self.by_owner.get_mut(&entry.owner) {
            list.retain(|s| s != session);
            if list.is_empty() {
                self.by_owner.remove(&entry.owner);
            }
        }
        true
    }
}

/// Ends a session in the MCP transport (the router closes it in rmcp's session manager).
pub type SessionCloser = std::sync::Arc<dyn Fn(String) + Send + Sync>;

/// The owners of the live MCP sessions.
pub struct McpSessionOwners {
    inner: Mutex<Inner>,
    per_owner: usize,
    max_sessions: usize,
    idle: Duration,
    /// Ends, in the transport, a session this map let go (a bound or idleness): otherwise it
    /// would live on there, holding its task and buffers, until the transport's own timeout.
    closer: std::sync::OnceLock<SessionCloser>,
}

impl Default for McpSessionOwners {
    fn default() -> Self {
        Self::new(PER_OWNER, MAX_SESSIONS, IDLE)
    }
}

impl std::fmt::Debug for McpSessionOwners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpSessionOwners")
            .field("sessions", &self.len())
            .field("per_owner", &self.per_owner)
            .finish_non_exhaustive()
    }
}

impl McpSessionOwners {
    /// At most `per_owner` sessions per owner and `max_sessions` in all, forgotten after
    /// `idle` without use.
    pub fn new(per_owner: usize, max_sessions: usize, idle: Duration) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            per_owner: per_owner.max(1),
            max_sessions: max_sessions.max(1),
            idle,
            closer: std::sync::OnceLock::new(),
        }
    }

    /// Sets what ends a session in the transport when this map lets it go (once).
    pub fn set_closer(&self, closer: SessionCloser) {
        let _ = self.closer.set(closer);
    }

    fn close(&self, ended: Vec<String>) {
        if let Some(closer) = self.closer.get() {
            for session in ended {
                closer(session);
            }
        }
    }

    /// Who `context` is, as an owner: issuer, subject and client of a token; the subject of an
    /// anonymous session.
    pub fn owner_of(context: &AuthContext) -> String {
        if context.anonymous {
            return format!("anonymous\n{}", context.subject);
        }
        let issuer = context
            .claims
            .get("iss")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        let client = context.client_id.as_deref().unwrap_or_default();
        // Sized once: this runs on every guarded call.
        let mut owner =
            String::with_capacity(24 + issuer.len() + context.subject.len() + client.len());
        let _ = write!(
            owner,
            "{}\n{issuer}\n{}\n{client}",
            issuer.len(),
            context.subject
        );
        owner
    }

    /// Whether `owner` owns `session` (and it is still remembered); marks it used.
    pub fn check(&self, session: &str, owner: &str) -> bool {
        self.check_renewing(session, owner, None).0
    }

    /// As [`McpSessionOwners::check`], and, with `renew = Some((now, every))` (clock seconds),
    /// whether the session's shared record is due to be kept alive: last renewed `every` or more
    /// before `now` (the first check after it was bound only starts the count). One lock for
    /// both, on every request.
    pub fn check_renewing(
        &self,
        session: &str,
        owner: &str,
        renew: Option<(u64, u64)>,
    ) -> (bool, bool) {
        let Ok(mut inner) = self.inner.lock() else {
            return (false, false);
        };
        let now = Instant::now();
        inner.uses += 1;
        let used = inner.uses;
        match inner.sessions.get_mut(session) {
            Some(entry) if now.duration_since(entry.last_used) > self.idle => {
                inner.remove(session);
                drop(inner);
                self.close(vec![session.to_owned()]);
                (false, false)
            }
            Some(entry) if entry.owner == owner => {
                entry.last_used = now;
                entry.used = used;
                let due = renew.is_some_and(|(at, every)| match entry.shared_touch {
                    Some(last) if at.saturating_sub(last) < every => false,
                    Some(_) => {
                        entry.shared_touch = Some(at);
                        true
                    }
                    None => {
                        entry.shared_touch = Some(at);
                        false
                    }
                });
                (true, due)
            }
            _ => (false, false),
        }
    }

    /// Records `owner` as the owner of the new `session`.
    pub fn bind(&self, session: &str, owner: &str) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        let now = Instant::now();
        let mut ended = Vec::new();
        inner.remove(session);
        while inner
            .by_owner
            .get(owner)
            .is_some_and(|list| list.len() >= self.per_owner)
        {
            let Some(oldest) = inner.by_owner.get(owner).and_then(|l| l.front().cloned()) else {
                break;
            };
            inner.remove(&oldest);
            ended.push(oldest);
        }
        if inner.sessions.len() >= self.max_sessions {
            let idle: Vec<String> = inner
                .sessions
                .iter()
                .filter(|(_, e)| now.duration_since(e.last_used) > self.idle)
                .map(|(s, _)| s.clone())
                .collect();
            for session in idle {
                inner.remove(&session);
                ended.push(session);
            }
        }
        if inner.sessions.len() >= self.max_sessions
            && let Some(least) = inner
                .sessions
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(s, _)| s.clone())
        {
            inner.remove(&least);
            ended.push(least);
        }
        inner.uses += 1;
        let used = inner.uses;
        inner.sessions.insert(
            session.to_owned(),
            Entry {
                owner: owner.to_owned(),
                last_used: now,
                shared_touch: None,
                used,
            },
        );
        inner
            .by_owner
            .entry(owner.to_owned())
            .or_default()
            .push_back(session.to_owned());
        drop(inner);
        self.close(ended);
    }

    /// Whether `session` is remembered here.
    pub fn knows(&self, session: &str) -> bool {
        self.inner
            .lock()
            .is_ok_and(|inner| inner.sessions.contains_key(session))
    }

    /// Forgets `sessions` and ends them in the transport (the shared per-owner bound let them
    /// go).
    pub fn let_go(&self, sessions: Vec<String>) {
        if let Ok(mut inner) = self.inner.lock() {
            for session in &sessions {
                inner.remove(session);
            }
        }
        self.close(sessions);
    }

    /// Forgets `session` (its owner ended it).
    pub fn end(&self, session: &str) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.remove(session);
        }
    }

    /// How many sessions are remembered.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|i| i.sessions.len()).unwrap_or(0)
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
    fn a_session_answers_only_its_owner() {
        let owners = McpSessionOwners::default();
        owners.bind("s1", "ada");
        assert!(owners.check("s1", "ada"));
        assert!(!owners.check("s1", "bob"));
        assert!(!owners.check("unknown", "ada"));
        owners.end("s1");
        assert!(!owners.check("s1", "ada"));
        assert!(owners.is_empty());
    }

    #[test]
    fn each_owner_keeps_at_most_its_share_and_the_oldest_goes() {
        let owners = McpSessionOwners::new(2, 100, IDLE);
        owners.bind("a1", "ada");
        owners.bind("a2", "ada");
        owners.bind("b1", "bob");
        owners.bind("a3", "ada");
        assert!(!owners.check("a1", "ada"), "the oldest ended");
        assert!(owners.check("a2", "ada") && owners.check("a3", "ada"));
        assert!(owners.check("b1", "bob"), "another owner is untouched");
        assert_eq!(owners.len(), 3);
    }

    #[test]
    fn the_whole_map_is_bounded_and_idle_sessions_are_forgotten() {
        let owners = McpSessionOwners::new(10, 3, IDLE);
        for (i, owner) in ["ada", "bob", "cy", "dee"].iter().enumerate() {
            owners.bind(&format!("s{i}"), owner);
        }
        assert_eq!(owners.len(), 3);
        assert!(!owners.check("s0", "ada"), "the least recently used went");
        let idle = McpSessionOwners::new(10, 3, Duration::ZERO);
        idle.bind("s", "ada");
        std::thread::sleep(Duration::from_millis(2));
        assert!(!idle.check("s", "ada"));
        assert!(idle.is_empty());
    }

    #[test]
    fn owners_are_told_apart_by_issuer_subject_and_client() {
        let mut context = AuthContext::anonymous(String::from("ada"), Vec::new(), None);
        context.anonymous = false;
        context.client_id = Some(String::from("client-1"));
        std::sync::Arc::make_mut(&mut context.claims)
            .insert("iss".into(), "https://a.example".into());
        let one = McpSessionOwners::owner_of(&context);
        context.client_id = Some(String::from("client-2"));
        assert_ne!(McpSessionOwners::owner_of(&context), one);
        context.client_id = Some(String::from("client-1"));
        std::sync::Arc::make_mut(&mut context.claims)
            .insert("iss".into(), "https://b.example".into());
        assert_ne!(McpSessionOwners::owner_of(&context), one);
        let anonymous = AuthContext::anonymous(String::from("ada"), Vec::new(), None);
        assert_ne!(McpSessionOwners::owner_of(&anonymous), one);
    }

    #[test]
    fn a_session_let_go_by_a_bound_is_ended_in_the_transport() {
        let ended = std::sync::Arc::new(Mutex::new(Vec::new()));
        let owners = McpSessionOwners::new(2, 3, Duration::from_secs(60));
        let seen = ended.clone();
        owners.set_closer(std::sync::Arc::new(move |id| {
            seen.lock().expect("ended").push(id);
        }));
        owners.bind("a1", "ada");
        owners.bind("a2", "ada");
        owners.bind("a3", "ada");
        assert_eq!(
            *ended.lock().expect("ended"),
            ["a1"],
            "ada's oldest, past 2 per owner"
        );
        owners.bind("b1", "bob");
        owners.bind("c1", "cy");
        assert_eq!(
            ended.lock().expect("ended").len(),
            2,
            "the least recently used, past 3 in all"
        );
        assert_eq!(owners.len(), 3);
    }
}
