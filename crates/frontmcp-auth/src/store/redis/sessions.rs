//! The Redis store's per-user state: sessions, remembered consent and the vault.

use redis::AsyncCommands;

use super::{
    BoxFuture, ConsentRecord, ConsentStore, Envelope, HashMap, RedisStore, SessionRecord,
    SessionStore, StoreResult, VaultStore, digest, field_u64, to_json,
};

impl SessionStore for RedisStore {
    fn put_session(&self, session: SessionRecord) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move {
            let key = self.key("session", &session.id);
            let index = self.key("sessions", &digest(&session.subject));
            let json = to_json(&Envelope {
                keep_until: session.expires_at,
                record: &session,
            })?;
            let ttl = self.ttl_ms(session.expires_at);
            let id = session.id.clone();
            let created = session.created_at;
            // The index first (a dangling id in it is dropped by the next read), then the
            // record: each in one slot, so this runs on a cluster too. The index lives as long
            // as its longest session.
            self.call(|mut c| async move {
                self.pipe()
                    .zadd(&index, id, created)
                    .ignore()
                    .cmd("PEXPIRE")
                    .arg(&index)
                    .arg(ttl)
                    .arg("GT")
                    .ignore()
                    .cmd("PEXPIRE")
                    .arg(&index)
                    .arg(ttl)
                    .arg("NX")
                    .ignore()
                    .query_async::<()>(&mut c)
                    .await
            })
            .await?;
            self.call(|mut c| async move { c.pset_ex::<_, _, ()>(key, json, ttl).await })
                .await
        })
    }

    fn session<'a>(&'a self, id: &'a str) -> BoxFuture<'a, StoreResult<Option<SessionRecord>>> {
        Box::pin(async move { self.get_envelope(self.key("session", id)).await })
    }

    fn sessions_of<'a>(
        &'a self,
        subject: &'a str,
    ) -> BoxFuture<'a, StoreResult<Vec<SessionRecord>>> {
        Box::pin(async move {
            let index = self.key("sessions", &digest(subject));
            let ids: Vec<String> = {
                let index = index.clone();
                self.call(|mut c| async move { c.zrange(index, 0, -1).await })
                    .await?
            };
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            // One read per session (each in its own slot on a cluster), all in flight at once.
            let stored: Vec<Option<SessionRecord>> = futures::future::try_join_all(
                ids.iter()
                    .map(|id| self.get_envelope(self.key("session", id))),
            )
            .await?;
            let mut found = Vec::new();
            let mut gone = Vec::new();
            for (id, live) in ids.into_iter().zip(stored) {
                match live {
                    Some(session) => found.push(session),
                    None => gone.push(id),
                }
            }
            if !gone.is_empty() {
                self.call(|mut c| async move { c.zrem::<_, _, ()>(index, gone).await })
                    .await?;
            }
            found.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
            Ok(found)
        })
    }

    fn delete_session<'a>(&'a self, id: &'a str) -> BoxFuture<'a, StoreResult<()>> {
        Box::pin(async move {
            let key = self.key("session", id);
            // The subject index forgets the id the next time it is read.
            self.call(|mut c| async move { c.del::<_, ()>(key).await })
                .await
        })
    }
}

impl ConsentStore for RedisStore {
    fn consent<'a>(
        &'a self,
        subject: &'a str,
        client_id: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<ConsentRecord>>> {
        Box::pin(async move {
            let key = self.key("consent", &format!("{}:{client_id}", digest(subject)));
            self.get_envelope(key).await
        })
    }

    fn put_consent(
        &self,
        consent: ConsentRecord,
        keep_until: u64,
    ) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move {
            let key = self.key(
                "consent",
                &format!("{}:{}", digest(&consent.subject), consent.client_id),
            );
            self.put_envelope(key, &consent, keep_until).await
        })
    }
}

impl VaultStore for RedisStore {
    fn put_vault(
        &self,
        session_id: String,
        sealed: Vec<u8>,
        keep_until: u64,
    ) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move {
            let key = self.key("vault", &session_id);
            let fields = [
                ("sealed", sealed),
                ("keep_until", keep_until.to_string().into_bytes()),
            ];
            // Both fields are always written, so no delete first: a reader sees the old entry
            // or the new one, never none.
            self.put_hash(&key, &fields, self.ttl_ms(keep_until), false)
                .await
        })
    }

    fn vault<'a>(&'a self, session_id: &'a str) -> BoxFuture<'a, StoreResult<Option<Vec<u8>>>> {
        Box::pin(async move {
            let key = self.key("vault", session_id);
            let fields: HashMap<String, Vec<u8>> = self
                .call(|mut c| async move { c.hgetall(key).await })
                .await?;
            let live = field_u64(&fields, "keep_until").is_ok_and(|k| k > self.clock.now());
            Ok(fields.get("sealed").cloned().filter(|_| live))
        })
    }

    fn delete_vault<'a>(&'a self, session_id: &'a str) -> BoxFuture<'a, StoreResult<()>> {
        Box::pin(async move {
            let key = self.key("vault", session_id);
            self.call(|mut c| async move { c.del::<_, ()>(key).await })
                .await
        })
    }
}
