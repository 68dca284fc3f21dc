//! The embedded store: one SQLite file, created and migrated at start-up, optionally with every
//! record encrypted at rest. Survives restarts; several processes may share the file (every
//! atomic step is one `IMMEDIATE` transaction), though Redis is the store for several instances.

mod schema;
mod sessions;
mod users;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{
    ClientRecord, ClientSource, ClientStore, CodeGrant, CodeRedemption, Codec, ConsentRecord,
    ConsentStore, FamilyLookup, FamilyStore, Grant, GrantStore, Maintenance, PendingAuthorization,
    RefreshFamily, Rotation, SessionRecord, SessionStore, StoreError, StoreResult, VaultStore,
};
use crate::clock::Clock;
use crate::secrets::digest;

/// How long a writer waits for another process's transaction before reporting unavailable.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Options of [`SqliteStore::open`], from `token_storage.sqlite`. Needs the `sqlite` feature.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// The database file, created when missing.
    pub path: PathBuf,
    /// Write-ahead logging.
    pub wal_mode: bool,
    /// How values are stored.
    pub codec: Codec,
}

/// A store in one SQLite file. Needs the `sqlite` feature (on by default).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// The connection; `None` after a write found the file read-only, so that the next call
    /// opens it again (a file made writable again is then written, without a restart).
    conn: Arc<Mutex<Option<Connection>>>,
    path: Arc<std::path::Path>,
    wal_mode: bool,
    codec: Codec,
    clock: Clock,
    /// Bumped by every revocation through this store (one file per instance; see
    /// [`Maintenance::revocations`]).
    revocations: Arc<std::sync::atomic::AtomicU64>,
}

fn unavailable(error: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("sqlite: {error}"))
}

fn as_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn as_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

impl SqliteStore {
    /// Opens (creating and migrating when needed) the database at `options.path`. Fails when
    /// the file cannot be opened, its schema is newer than this build, or the encryption setting
    /// or secret differs from the one the database was created with.
    pub fn open(options: &SqliteOptions, clock: Clock) -> StoreResult<Self> {
        let mut conn = connect(&options.path, options.wal_mode)?;
        schema::migrate(&mut conn, &options.path)?;
        schema::check_encryption(&mut conn, &options.codec, &options.path)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(Some(conn))),
            path: Arc::from(options.path.as_path()),
            wal_mode: options.wal_mode,
            codec: options.codec.clone(),
            clock,
            revocations: Arc::new(std::sync::atomic::AtomicU64::new(0)),
        })
    }

    /// Runs `f` on the connection on the blocking pool, with the current time.
    fn run<T, F>(&self, f: F) -> BoxFuture<'static, StoreResult<T>>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &Codec, u64) -> StoreResult<T> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        let (path, wal_mode) = (Arc::clone(&self.path), self.wal_mode);
        let codec = self.codec.clone();
        let now = self.clock.now();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let mut slot = conn
                    .lock()
                    .map_err(|_| unavailable("the connection is poisoned"))?;
                if slot.is_none() {
                    *slot = Some(connect(&path, wal_mode)?);
                }
                let Some(conn) = slot.as_mut() else {
                    return Err(unavailable("no connection"));
                };
                let result = f(conn, &codec, now);
                if result.is_err() && conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
                    // A failure on a connection SQLite opened read-only (the file or its mount
                    // was): closed, and opened again by the next call, so a file made writable
                    // is written. Closed first: a second connection beside a read-only one
                    // would share its read-only state.
                    *slot = None;
                }
                result
            })
            .await
            .map_err(unavailable)?
        })
    }
}

/// Opens the database file with the store's settings (no migration).
fn connect(path: &std::path::Path, wal_mode: bool) -> StoreResult<Connection> {
    let conn = Connection::open(path)
        .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(unavailable)?;
    if wal_mode {
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(unavailable)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(unavailable)?;
    }
    Ok(conn)
}

fn immediate<T>(
    conn: &mut Connection,
    f: impl FnOnce(&rusqlite::Transaction<'_>) -> StoreResult<T>,
) -> StoreResult<T> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(unavailable)?;
    let value = f(&tx)?;
    tx.commit().map_err(unavailable)?;
    Ok(value)
}

fn source_name(source: ClientSource) -> &'static str {
    match source {
        ClientSource::Configured => "configured",
        ClientSource::Registered => "registered",
        ClientSource::MetadataDocument => "metadata_document",
        ClientSource::Unregistered => "unregistered",
    }
}

impl ClientStore for SqliteStore {
    fn client<'a>(
        &'a self,
        client_id: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<ClientRecord>>> {
        let client_id = client_id.to_owned();
        self.run(move |conn, codec, now| {
            let stored: Option<(Vec<u8>, Option<i64>)> = conn
                .query_row(
                    "SELECT record, keep_until FROM clients
                     WHERE client_id = ?1 AND (keep_until IS NULL OR keep_until > ?2)",
                    params![client_id, as_i64(now)],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()
                .map_err(unavailable)?;
            // The column is the expiry: a touch moves it without rewriting the record.
            stored
                .map(|(bytes, keep_until)| {
                    let mut client: ClientRecord =
                        codec.decode(&format!("client:{client_id}"), &bytes)?;
                    client.keep_until = keep_until.map(as_u64);
                    Ok(client)
                })
                .transpose()
        })
    }

    fn register_client(&self, client: ClientRecord, max: u64) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |conn, codec, now| {
            let record = codec.encode(&format!("client:{}", client.client_id), &client)?;
            immediate(conn, |tx| {
                if client.source == ClientSource::Registered {
                    tx.execute("DELETE FROM clients WHERE keep_until <= ?1", [as_i64(now)])
                        .map_err(unavailable)?;
                    let count: i64 = tx
                        .query_row(
                            "SELECT count(*) FROM clients
                             WHERE source = 'registered' AND client_id <> ?1",
                            [&client.client_id],
                            |row| row.get(0),
                        )
                        .map_err(unavailable)?;
                    if as_u64(count) >= max {
                        return Err(StoreError::LimitReached(format!(
                            "{max} dynamically registered clients"
                        )));
                    }
                }
                tx.execute(
                    "INSERT OR REPLACE INTO clients
                     (client_id, source, record, created_at, keep_until)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        client.client_id,
                        source_name(client.source),
                        record,
                        as_i64(client.created_at),
                        client.keep_until.map(as_i64)
                    ],
                )
                .map_err(unavailable)?;
                Ok(())
            })
        })
    }

    fn touch_client<'a>(
        &'a self,
        client: &'a ClientRecord,
        keep_until: u64,
    ) -> BoxFuture<'a, StoreResult<()>> {
        let (client_id, before) = (client.client_id.clone(), client.keep_until.map(as_i64));
        self.run(move |conn, _, _| {
            conn.execute(
                "UPDATE clients SET keep_until = ?2 WHERE client_id = ?1 AND keep_until IS ?3",
                params![client_id, as_i64(keep_until), before],
            )
            .map_err(unavailable)?;
            Ok(())
        })
    }

    fn delete_client<'a>(&'a self, client_id: &'a str) -> BoxFuture<'a, StoreResult<bool>> {
        let client_id = client_id.to_owned();
        let revocations = self.revocations.clone();
        self.run(move |conn, _, _| {
            let removed = conn
                .execute("DELETE FROM clients WHERE client_id = ?1", [&client_id])
                .map_err(unavailable)?;
            revocations.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(removed == 1)
        })
    }
}

impl GrantStore for SqliteStore {
    fn put_pending(
        &self,
        pending: PendingAuthorization,
        keep_until: u64,
    ) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |conn, codec, _| {
            let record = codec.encode(&format!("pending:{}", pending.id), &pending)?;
            conn.execute(
                "INSERT OR REPLACE INTO pending (id, record, keep_until) VALUES (?1, ?2, ?3)",
                params![pending.id, record, as_i64(keep_until)],
            )
            .map_err(unavailable)?;
            Ok(())
        })
    }

    fn pending<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<PendingAuthorization>>> {
        let id = id.to_owned();
        self.run(move |conn, codec, now| {
            let stored: Option<Vec<u8>> = conn
                .query_row(
                    "SELECT record FROM pending WHERE id = ?1 AND keep_until > ?2",
                    params![id, as_i64(now)],
                    |row| row.get(0),
                )
                .optional()
                .map_err(unavailable)?;
            stored
                .map(|bytes| codec.decode(&format!("pending:{id}"), &bytes))
                .transpose()
        })
    }

    fn take_pending<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<PendingAuthorization>>> {
        let id = id.to_owned();
        self.run(move |conn, codec, now| {
            let stored: Option<(Vec<u8>, i64)> = conn
                .query_row(
                    "DELETE FROM pending WHERE id = ?1 RETURNING record, keep_until",
                    [&id],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()
                .map_err(unavailable)?;
            stored
                .filter(|(_, keep_until)| as_u64(*keep_until) > now)
                .map(|(bytes, _)| codec.decode(&format!("pending:{id}"), &bytes))
                .transpose()
        })
    }

    fn put_code(
        &self,
        code_hash: String,
        grant: CodeGrant,
        keep_until: u64,
    ) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |conn, codec, _| {
            let record = codec.encode(&format!("code:{code_hash}"), &grant)?;
            conn.execute(
                "INSERT OR REPLACE INTO codes (code_hash, record, redeemed_by, keep_until)
                 VALUES (?1, ?2, NULL, ?3)",
                params![code_hash, record, as_i64(keep_until)],
            )
            .map_err(unavailable)?;
            Ok(())
        })
    }

    fn redeem_code<'a>(
        &'a self,
        code_hash: &'a str,
        family_id: &'a str,
    ) -> BoxFuture<'a, StoreResult<CodeRedemption>> {
        let (code_hash, family_id) = (code_hash.to_owned(), family_id.to_owned());
        self.run(move |conn, codec, now| {
            immediate(conn, |tx| {
                let row: Option<(Vec<u8>, Option<String>)> = tx
                    .query_row(
                        "SELECT record, redeemed_by FROM codes
                         WHERE code_hash = ?1 AND keep_until > ?2",
                        params![code_hash, as_i64(now)],
                        |row| Ok((row.get(0)?, row.get(1)?)),
                    )
                    .optional()
                    .map_err(unavailable)?;
                match row {
                    None => Ok(CodeRedemption::Unknown),
                    Some((_, Some(first))) => Ok(CodeRedemption::Reused { family_id: first }),
                    Some((bytes, None)) => {
                        tx.execute(
                            "UPDATE codes SET redeemed_by = ?2 WHERE code_hash = ?1",
                            params![code_hash, family_id],
                        )
                        .map_err(unavailable)?;
                        let grant = codec.decode(&format!("code:{code_hash}"), &bytes)?;
                        Ok(CodeRedemption::Fresh(Box::new(grant)))
                    }
                }
            })
        })
    }
}

/// Reads a family row: `id, grant_record, generation, expires_at, rotated_at, replay, revoked`.
fn family_from_row(
    codec: &Codec,
    row: (String, Vec<u8>, i64, i64, i64, Option<Vec<u8>>, bool),
) -> StoreResult<RefreshFamily> {
    let (id, grant, generation, expires_at, rotated_at, replay, revoked) = row;
    let grant: Grant = codec.decode(&format!("family:{id}"), &grant)?;
    Ok(RefreshFamily {
        id,
        grant,
        generation: as_u64(generation),
        expires_at: as_u64(expires_at),
        rotated_at: as_u64(rotated_at),
        replay,
        revoked,
    })
}

type FamilyRow = (String, Vec<u8>, i64, i64, i64, Option<Vec<u8>>, bool);

fn read_family_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<FamilyRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
    ))
}

const FAMILY_COLUMNS: &str =
    "f.id, f.grant_record, f.generation, f.expires_at, f.rotated_at, f.replay, f.revoked";

impl FamilyStore for SqliteStore {
    fn create_family(
        &self,
        family: RefreshFamily,
        token_hash: String,
    ) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |conn, codec, _| {
            let grant = codec.encode(&format!("family:{}", family.id), &family.grant)?;
            immediate(conn, |tx| {
                tx.execute(
                    "INSERT OR REPLACE INTO families
                     (id, grant_record, generation, expires_at, rotated_at, replay, revoked)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        family.id,
                        grant,
                        as_i64(family.generation),
                        as_i64(family.expires_at),
                        as_i64(family.rotated_at),
                        family.replay,
                        family.revoked
                    ],
                )
                .map_err(unavailable)?;
                tx.execute(
                    "INSERT OR REPLACE INTO refresh_tokens (token_hash, family_id, generation)
                     VALUES (?1, ?2, ?3)",
                    params![token_hash, family.id, as_i64(family.generation)],
                )
                .map_err(unavailable)?;
                Ok(())
            })
        })
    }

    fn family_by_token<'a>(
        &'a self,
        token_hash: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<FamilyLookup>>> {
        let token_hash = token_hash.to_owned();
        self.run(move |conn, codec, now| {
            let row: Option<(FamilyRow, i64)> = conn
                .query_row(
                    &format!(
                        "SELECT {FAMILY_COLUMNS}, t.generation FROM refresh_tokens t
                         JOIN families f ON f.id = t.family_id
                         WHERE t.token_hash = ?1 AND f.expires_at > ?2"
                    ),
                    params![token_hash, as_i64(now)],
                    |row| Ok((read_family_row(row)?, row.get(7)?)),
                )
                .optional()
                .map_err(unavailable)?;
            row.map(|(family, generation)| {
                Ok(FamilyLookup {
                    family: family_from_row(codec, family)?,
                    generation: as_u64(generation),
                })
            })
            .transpose()
        })
    }

    fn family<'a>(
        &'a self,
        family_id: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<RefreshFamily>>> {
        let family_id = family_id.to_owned();
        self.run(move |conn, codec, now| {
            let row: Option<FamilyRow> = conn
                .query_row(
                    &format!(
                        "SELECT {FAMILY_COLUMNS} FROM families f
                         WHERE f.id = ?1 AND f.expires_at > ?2"
                    ),
                    params![family_id, as_i64(now)],
                    read_family_row,
                )
                .optional()
                .map_err(unavailable)?;
            row.map(|row| family_from_row(codec, row)).transpose()
        })
    }

    fn rotate_family(&self, rotation: Rotation) -> BoxFuture<'_, StoreResult<bool>> {
        self.run(move |conn, _, now| {
            immediate(conn, |tx| {
                let next = as_i64(rotation.from_generation) + 1;
                let changed = tx
                    .execute(
                        "UPDATE families SET generation = ?3, expires_at = ?4, rotated_at = ?5,
                         replay = ?6
                         WHERE id = ?1 AND generation = ?2 AND revoked = 0 AND expires_at > ?7",
                        params![
                            rotation.family_id,
                            as_i64(rotation.from_generation),
                            next,
                            as_i64(rotation.expires_at),
                            as_i64(rotation.rotated_at),
                            rotation.replay,
                            as_i64(now)
                        ],
                    )
                    .map_err(unavailable)?;
                if changed == 1 {
                    tx.execute(
                        "INSERT OR REPLACE INTO refresh_tokens (token_hash, family_id, generation)
                         VALUES (?1, ?2, ?3)",
                        params![rotation.new_token_hash, rotation.family_id, next],
                    )
                    .map_err(unavailable)?;
                    // Keep the newest hashes only: an older token is then unknown, not reuse.
                    tx.execute(
                        "DELETE FROM refresh_tokens WHERE family_id = ?1 AND generation <= ?2",
                        params![
                            rotation.family_id,
                            next - as_i64(crate::store::KEPT_TOKEN_GENERATIONS)
                        ],
                    )
                    .map_err(unavailable)?;
                }
                Ok(changed == 1)
            })
        })
    }

    fn revoke_family<'a>(&'a self, family_id: &'a str) -> BoxFuture<'a, StoreResult<()>> {
        let family_id = family_id.to_owned();
        let revocations = self.revocations.clone();
        // A revoked family is gone with its token hashes: nothing of it is read again.
        self.run(move |conn, _, _| {
            immediate(conn, |tx| {
                tx.execute(
                    "DELETE FROM refresh_tokens WHERE family_id = ?1",
                    [&family_id],
                )
                .map_err(unavailable)?;
                tx.execute("DELETE FROM families WHERE id = ?1", [&family_id])
                    .map_err(unavailable)?;
                Ok(())
            })?;
            revocations.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        })
    }
}

impl Maintenance for SqliteStore {
    fn revocations(&self) -> Option<BoxFuture<'_, StoreResult<u64>>> {
        let count = self.revocations.load(std::sync::atomic::Ordering::SeqCst);
        Some(Box::pin(std::future::ready(Ok(count))))
    }

    /// One short transaction per kind, each finding expired rows by index: the connection is
    /// free for requests between them, and no step reads the rows that stay.
    fn sweep_expired(&self) -> BoxFuture<'_, StoreResult<u64>> {
        const STEPS: [&str; 8] = [
            "DELETE FROM pending WHERE keep_until <= ?1",
            "DELETE FROM clients WHERE keep_until <= ?1",
            "DELETE FROM codes WHERE keep_until <= ?1",
            // A family's tokens go before the family, found through the family's expiry.
            "DELETE FROM refresh_tokens
             WHERE family_id IN (SELECT id FROM families WHERE expires_at <= ?1)",
            "DELETE FROM families WHERE expires_at <= ?1",
            "DELETE FROM sessions WHERE expires_at <= ?1",
            "DELETE FROM consent WHERE keep_until <= ?1",
            "DELETE FROM vault WHERE keep_until <= ?1",
        ];
        let store = self.clone();
        Box::pin(async move {
            let mut removed = 0;
            for sql in STEPS {
                removed += store
                    .run(move |conn, _, now| {
                        immediate(conn, |tx| {
                            tx.execute(sql, [as_i64(now)])
                                .map(|n| n as u64)
                                .map_err(unavailable)
                        })
                    })
                    .await?;
            }
            Ok(removed)
        })
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }
}
