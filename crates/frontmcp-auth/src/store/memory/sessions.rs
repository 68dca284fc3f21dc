//! The memory store's per-user state: sessions, remembered consent and the vault.

use super::{
    BoxFuture, ConsentRecord, ConsentStore, Expiring, MemoryStore, SessionRecord, SessionStore,
    StoreResult, VaultStore, ready,
};

impl SessionStore for MemoryStore {
    fn put_session(&self, session: SessionRecord) -> BoxFuture<'_, StoreResult<()>> {
        ready(self.write(|state, _| {
            let ids = state
                .sessions_by_subject
                .entry(session.subject.clone())
                .or_default();
            if !ids.contains(&session.id) {
                ids.push(session.id.clone());
            }
            if let Some(old) = state.sessions.insert(session.id.clone(), Box::new(session))
                && !state.sessions[&old.id].subject.eq(&old.subject)
            {
                super::unindex_session(&mut state.sessions_by_subject, &old.subject, &old.id);
            }
        }))
    }

    fn session<'a>(&'a self, id: &'a str) -> BoxFuture<'a, StoreResult<Option<SessionRecord>>> {
        ready(self.with(|state, now| {
            state
                .sessions
                .get(id)
                .filter(|s| s.expires_at > now)
                .map(|s| SessionRecord::clone(s))
        }))
    }

    fn sessions_of<'a>(
        &'a self,
        subject: &'a str,
    ) -> BoxFuture<'a, StoreResult<Vec<SessionRecord>>> {
        ready(self.with(|state, now| {
            let mut found: Vec<SessionRecord> = state
                .sessions_by_subject
                .get(subject)
                .into_iter()
                .flatten()
                .filter_map(|id| state.sessions.get(id))
                .filter(|s| s.expires_at > now)
                .map(|s| SessionRecord::clone(s))
                .collect();
            found.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
            found
        }))
    }

    fn delete_session<'a>(&'a self, id: &'a str) -> BoxFuture<'a, StoreResult<()>> {
        ready(self.update(|state, _| {
            if let Some(old) = state.sessions.remove(id) {
                super::unindex_session(&mut state.sessions_by_subject, &old.subject, id);
            }
        }))
    }
}

impl ConsentStore for MemoryStore {
    fn consent<'a>(
        &'a self,
        subject: &'a str,
        client_id: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<ConsentRecord>>> {
        ready(self.with(|state, now| {
            state
                .consent
                .get(&(subject.to_owned(), client_id.to_owned()))
                .filter(|c| c.keep_until > now)
                .map(|c| c.value.clone())
        }))
    }

    fn put_consent(
        &self,
        consent: ConsentRecord,
        keep_until: u64,
    ) -> BoxFuture<'_, StoreResult<()>> {
        ready(self.write(|state, _| {
            let key = (consent.subject.clone(), consent.client_id.clone());
            state.consent.insert(
                key,
                Expiring {
                    value: consent,
                    keep_until,
                },
            );
        }))
    }
}

impl VaultStore for MemoryStore {
    fn put_vault(
        &self,
        session_id: String,
        sealed: Vec<u8>,
        keep_until: u64,
    ) -> BoxFuture<'_, StoreResult<()>> {
        ready(self.write(|state, _| {
            state.vault.insert(
                session_id,
                Expiring {
                    value: sealed,
                    keep_until,
                },
            );
        }))
    }

    fn vault<'a>(&'a self, session_id: &'a str) -> BoxFuture<'a, StoreResult<Option<Vec<u8>>>> {
        ready(self.with(|state, now| {
            state
                .vault
                .get(session_id)
                .filter(|v| v.keep_until > now)
                .map(|v| v.value.clone())
        }))
    }

    fn delete_vault<'a>(&'a self, session_id: &'a str) -> BoxFuture<'a, StoreResult<()>> {
        ready(self.update(|state, _| {
            state.vault.remove(session_id);
        }))
    }
}
