//! The memory store's per-user state: sessions, remembered consent and the vault.

use std::sync::Arc;

use super::{
    BoxFuture, ConsentRecord, ConsentStore, Expiring, MemoryStore, SessionRecord, SessionStore,
    State, StoreResult, VaultStore, ready,
};

/// A session as kept in memory: its id is the table's key (shared with the family of the same
/// id), its subject shared with the index by subject, its client id with every session of that
/// client.
#[derive(Debug)]
pub(super) struct SessionEntry {
    pub(super) subject: Arc<str>,
    client_id: Arc<str>,
    created_at: u64,
    pub(super) expires_at: u64,
}

impl SessionEntry {
    fn record(&self, id: &str) -> SessionRecord {
        SessionRecord {
            id: id.to_owned(),
            subject: self.subject.to_string(),
            client_id: self.client_id.to_string(),
            created_at: self.created_at,
            expires_at: self.expires_at,
        }
    }
}

impl State {
    /// `id` as one shared string: the family's of that id when there is one.
    fn shared_id(&self, id: String) -> Arc<str> {
        match self.families.get_key_value(id.as_str()) {
            Some((shared, _)) => shared.clone(),
            None => Arc::from(id),
        }
    }

    /// `client_id` kept once for every session naming it.
    fn shared_client(&mut self, client_id: String) -> Arc<str> {
        if let Some(shared) = self.client_ids.get(client_id.as_str()) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(client_id);
        self.client_ids.insert(shared.clone());
        shared
    }

    /// `subject` as the index's key, added with no session when new.
    fn shared_subject(&mut self, subject: String) -> Arc<str> {
        if let Some((shared, _)) = self.sessions_by_subject.get_key_value(subject.as_str()) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(subject);
        self.sessions_by_subject
            .insert(shared.clone(), Box::default());
        shared
    }
}

impl SessionStore for MemoryStore {
    fn put_session(&self, session: SessionRecord) -> BoxFuture<'_, StoreResult<()>> {
        ready(self.write(|state, _| {
            let id = state.shared_id(session.id);
            let subject = state.shared_subject(session.subject);
            let entry = SessionEntry {
                client_id: state.shared_client(session.client_id),
                subject: subject.clone(),
                created_at: session.created_at,
                expires_at: session.expires_at,
            };
            if let Some(ids) = state.sessions_by_subject.get_mut(&subject)
                && !ids.contains(&id)
            {
                *ids = ids.iter().cloned().chain([id.clone()]).collect();
            }
            if let Some(old) = state.sessions.insert(id.clone(), Box::new(entry))
                && old.subject != subject
            {
                super::unindex_session(&mut state.sessions_by_subject, &old.subject, &id);
            }
        }))
    }

    fn session<'a>(&'a self, id: &'a str) -> BoxFuture<'a, StoreResult<Option<SessionRecord>>> {
        ready(self.with(|state, now| {
            state
                .sessions
                .get(id)
                .filter(|s| s.expires_at > now)
                .map(|s| s.record(id))
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
                .flat_map(|ids| ids.iter())
                .filter_map(|id| state.sessions.get(id).map(|s| (id, s)))
                .filter(|(_, s)| s.expires_at > now)
                .map(|(id, s)| s.record(id))
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
