//! SSE event ids bound to their MCP session: `{session}|{inner}|{tag}`, where `inner` is the
//! transport's own id (`{stream}/{entry}` with an event log) and `tag` an HMAC-SHA256 (128 bits,
//! base64url) of the session and `inner`. A `Last-Event-ID` resumes only when its tag is right
//! for the session it names, and the guard already refused it unless that session is the
//! caller's: a leaked event id, its session part rewritten, replays nothing.
//!
//! Instances that share a store sign with the store's one key (`McpSessionStore::
//! mcp_event_key`); otherwise, or while it cannot be read, with a key of the process's own (ids
//! it signs then resume on this instance only).

use std::sync::Arc;

use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

use crate::guard::SharedSessions;

/// Separates the session, the transport's id and the tag.
pub(crate) const SEPARATOR: char = '|';

/// Bytes of the tag kept.
const TAG_BYTES: usize = 16;

/// Signs and opens event ids.
pub(crate) struct EventIds {
    shared: Option<Arc<SharedSessions>>,
    key: tokio::sync::OnceCell<hmac::Key>,
    local: hmac::Key,
}

impl EventIds {
    /// Signing with the shared store's key when `shared` keeps records there.
    pub(crate) fn new(shared: Option<Arc<SharedSessions>>) -> Self {
        Self {
            shared: shared.filter(|s| s.in_store()),
            key: tokio::sync::OnceCell::new(),
            // The system RNG failing means nothing secure can go on (as `secrets`).
            local: hmac::Key::generate(hmac::HMAC_SHA256, &SystemRandom::new())
                .expect("the system random number generator failed"),
        }
    }

    /// The key to sign with now.
    pub(crate) async fn key(&self) -> hmac::Key {
        let Some(shared) = &self.shared else {
            return self.local.clone();
        };
        let loaded = self
            .key
            .get_or_try_init(|| async {
                let secret = shared.event_key().await?;
                Ok::<_, crate::store::StoreError>(hmac::Key::new(
                    hmac::HMAC_SHA256,
                    secret.as_bytes(),
                ))
            })
            .await;
        match loaded {
            Ok(key) => key.clone(),
            Err(error) => {
                tracing::warn!(target: "frontmcp_auth::mcp", "event ids are signed for this instance only: {error}");
                self.local.clone()
            }
        }
    }

    /// The id clients see for the transport's `inner` id of an event of `session`.
    pub(crate) fn sign(key: &hmac::Key, session: &str, inner: &str) -> String {
        let tag = tag(key, session, inner);
        format!("{session}{SEPARATOR}{inner}{SEPARATOR}{tag}")
    }

    /// The transport's id inside `id` when it is an event id of `session` signed here.
    pub(crate) async fn open<'a>(&self, session: &str, id: &'a str) -> Option<&'a str> {
        let rest = id.strip_prefix(session)?.strip_prefix(SEPARATOR)?;
        let (inner, given) = rest.rsplit_once(SEPARATOR)?;
        let given = URL_SAFE_NO_PAD.decode(given).ok()?;
        if given.len() != TAG_BYTES {
            return None;
        }
        let mut keys = vec![self.local.clone()];
        if self.shared.is_some() {
            keys.push(self.key().await);
        }
        keys.iter()
            .any(|key| {
                let expected = hmac::sign(key, &message(session, inner));
                bool::from(expected.as_ref()[..TAG_BYTES].ct_eq(&given))
            })
            .then_some(inner)
    }
}

/// Whether `id` names `session` (the guard's check before any key is at hand).
pub(crate) fn names_session(session: &str, id: &str) -> bool {
    id.strip_prefix(session)
        .is_some_and(|rest| rest.starts_with(SEPARATOR))
}

fn message(session: &str, inner: &str) -> Vec<u8> {
    let mut message = Vec::with_capacity(session.len() + 1 + inner.len());
    message.extend_from_slice(session.as_bytes());
    message.push(0);
    message.extend_from_slice(inner.as_bytes());
    message
}

fn tag(key: &hmac::Key, session: &str, inner: &str) -> String {
    URL_SAFE_NO_PAD.encode(&hmac::sign(key, &message(session, inner)).as_ref()[..TAG_BYTES])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_event_id_opens_only_for_its_own_session_and_unchanged() {
        let ids = EventIds::new(None);
        let key = ids.key().await;
        let signed = EventIds::sign(&key, "s1", "stream-a/1-0");
        assert_eq!(ids.open("s1", &signed).await, Some("stream-a/1-0"));
        // Another session's prefix on the same stream: the tag no longer fits.
        let transplanted = signed.replacen("s1", "s2", 1);
        assert_eq!(ids.open("s2", &transplanted).await, None);
        assert_eq!(ids.open("s2", &signed).await, None);
        let other_stream = signed.replace("stream-a", "stream-b");
        assert_eq!(ids.open("s1", &other_stream).await, None);
        assert_eq!(ids.open("s1", "s1|stream-a/1-0").await, None, "no tag");
        assert_eq!(ids.open("s1", "s1|x|%%%").await, None, "not base64");
        // Another process's key signs ids this one does not open.
        let elsewhere = EventIds::new(None);
        let foreign = EventIds::sign(&elsewhere.key().await, "s1", "stream-a/1-0");
        assert_eq!(ids.open("s1", &foreign).await, None);
        assert!(names_session("s1", &signed) && !names_session("s10", &signed));
    }
}
