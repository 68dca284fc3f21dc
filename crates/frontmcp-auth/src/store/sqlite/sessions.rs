//! The SQLite store's per-user state: sessions, remembered consent and the vault.

use rusqlite::OptionalExtension;

use super::{
    BoxFuture, ConsentRecord, ConsentStore, SessionRecord, SessionStore, SqliteStore, StoreResult,
    VaultStore, as_i64, digest, params, unavailable,
};

impl SessionStore for SqliteStore {
    fn put_session(&self, session: SessionRecord) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |conn, codec, _| {
            let record = codec.encode(&format!("session:{}", session.id), &session)?;
            conn.execute(
                "INSERT OR REPLACE INTO sessions (id, subject_hash, record, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    session.id,
                    digest(&session.subject),
                    record,
                    as_i64(session.created_at),
                    as_i64(session.expires_at)
                ],
            )
            .map_err(unavailable)?;
            Ok(())
        })
    }

    fn session<'a>(&'a self, id: &'a str) -> BoxFuture<'a, StoreResult<Option<SessionRecord>>> {
        let id = id.to_owned();
        self.run(move |conn, codec, now| {
            let stored: Option<Vec<u8>> = conn
                .query_row(
                    "SELECT record FROM sessions WHERE id = ?1 AND expires_at > ?2",
                    params![id, as_i64(now)],
                    |row| row.get(0),
                )
                .optional()
                .map_err(unavailable)?;
            stored
                .map(|bytes| codec.decode(&format!("session:{id}"), &bytes))
                .transpose()
        })
    }

    fn sessions_of<'a>(
        &'a self,
        subject: &'a str,
    ) -> BoxFuture<'a, StoreResult<Vec<SessionRecord>>> {
        let subject_hash = digest(subject);
        self.run(move |conn, codec, now| {
            let mut statement = conn
                .prepare(
                    "SELECT id, record FROM sessions WHERE subject_hash = ?1 AND expires_at > ?2
                     ORDER BY created_at, id",
                )
                .map_err(unavailable)?;
            let rows = statement
                .query_map(params![subject_hash, as_i64(now)], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, Vec<u8>>(1)?))
                })
                .map_err(unavailable)?;
            let mut found = Vec::new();
            for row in rows {
                let (id, bytes) = row.map_err(unavailable)?;
                found.push(codec.decode(&format!("session:{id}"), &bytes)?);
            }
            Ok(found)
        })
    }

    fn delete_session<'a>(&'a self, id: &'a str) -> BoxFuture<'a, StoreResult<()>> {
        let id = id.to_owned();
        self.run(move |conn, _, _| {
            conn.execute("DELETE FROM sessions WHERE id = ?1", [&id])
                .map_err(unavailable)?;
            Ok(())
        })
    }
}

fn consent_key(subject_hash: &str, client_id: &str) -> String {
    format!("consent:{subject_hash}:{client_id}")
}

impl ConsentStore for SqliteStore {
    fn consent<'a>(
        &'a self,
        subject: &'a str,
        client_id: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<ConsentRecord>>> {
        let (subject_hash, client_id) = (digest(subject), client_id.to_owned());
        self.run(move |conn, codec, now| {
            let stored: Option<Vec<u8>> = conn
                .query_row(
                    "SELECT record FROM consent
                     WHERE subject_hash = ?1 AND client_id = ?2 AND keep_until > ?3",
                    params![subject_hash, client_id, as_i64(now)],
                    |row| row.get(0),
                )
                .optional()
                .map_err(unavailable)?;
            stored
                .map(|bytes| codec.decode(&consent_key(&subject_hash, &client_id), &bytes))
                .transpose()
        })
    }

    fn put_consent(
        &self,
        consent: ConsentRecord,
        keep_until: u64,
    ) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |conn, codec, _| {
            let subject_hash = digest(&consent.subject);
            let record = codec.encode(&consent_key(&subject_hash, &consent.client_id), &consent)?;
            conn.execute(
                "INSERT OR REPLACE INTO consent (subject_hash, client_id, record, keep_until)
                 VALUES (?1, ?2, ?3, ?4)",
                params![subject_hash, consent.client_id, record, as_i64(keep_until)],
            )
            .map_err(unavailable)?;
            Ok(())
        })
    }
}

impl VaultStore for SqliteStore {
    fn put_vault(
        &self,
        session_id: String,
        sealed: Vec<u8>,
        keep_until: u64,
    ) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |conn, _, _| {
            conn.execute(
                "INSERT OR REPLACE INTO vault (session_id, sealed, keep_until) VALUES (?1, ?2, ?3)",
                params![session_id, sealed, as_i64(keep_until)],
            )
            .map_err(unavailable)?;
            Ok(())
        })
    }

    fn vault<'a>(&'a self, session_id: &'a str) -> BoxFuture<'a, StoreResult<Option<Vec<u8>>>> {
        let session_id = session_id.to_owned();
        self.run(move |conn, _, now| {
            conn.query_row(
                "SELECT sealed FROM vault WHERE session_id = ?1 AND keep_until > ?2",
                params![session_id, as_i64(now)],
                |row| row.get(0),
            )
            .optional()
            .map_err(unavailable)
        })
    }

    fn delete_vault<'a>(&'a self, session_id: &'a str) -> BoxFuture<'a, StoreResult<()>> {
        let session_id = session_id.to_owned();
        self.run(move |conn, _, _| {
            conn.execute("DELETE FROM vault WHERE session_id = ?1", [&session_id])
                .map_err(unavailable)?;
            Ok(())
        })
    }
}
