//! The SQLite file's schema, its migrations, and the check that the configured encryption
//! secret opens the records already in the file.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior, params};

use super::{Codec, StoreError, StoreResult, unavailable};

/// The schema, one step per version; `PRAGMA user_version` records how many have run.
const MIGRATIONS: &[&str] = &[
    r"
CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE clients (
    client_id TEXT PRIMARY KEY, source TEXT NOT NULL, record BLOB NOT NULL,
    created_at INTEGER NOT NULL);
CREATE TABLE pending (id TEXT PRIMARY KEY, record BLOB NOT NULL, keep_until INTEGER NOT NULL);
CREATE TABLE codes (
    code_hash TEXT PRIMARY KEY, record BLOB NOT NULL, redeemed_by TEXT,
    keep_until INTEGER NOT NULL);
CREATE TABLE families (
    id TEXT PRIMARY KEY, grant_record BLOB NOT NULL, generation INTEGER NOT NULL,
    expires_at INTEGER NOT NULL, rotated_at INTEGER NOT NULL, replay BLOB,
    revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY, family_id TEXT NOT NULL, generation INTEGER NOT NULL);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE TABLE sessions (
    id TEXT PRIMARY KEY, subject_hash TEXT NOT NULL, record BLOB NOT NULL,
    created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
CREATE INDEX sessions_subject ON sessions (subject_hash);
CREATE TABLE consent (
    subject_hash TEXT NOT NULL, client_id TEXT NOT NULL, record BLOB NOT NULL,
    keep_until INTEGER NOT NULL, PRIMARY KEY (subject_hash, client_id));
CREATE TABLE vault (session_id TEXT PRIMARY KEY, sealed BLOB NOT NULL, keep_until INTEGER NOT NULL);
",
    r"
CREATE TABLE users (username TEXT PRIMARY KEY, record BLOB NOT NULL);
",
    // Sweeps find expired records by index, never by scanning every row.
    r"
CREATE INDEX pending_expiry ON pending (keep_until);
CREATE INDEX codes_expiry ON codes (keep_until);
CREATE INDEX families_expiry ON families (expires_at);
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE INDEX consent_expiry ON consent (keep_until);
CREATE INDEX vault_expiry ON vault (keep_until);
",
    // Dynamically registered clients expire after their last use (`dcr.client_ttl`).
    r"
ALTER TABLE clients ADD COLUMN keep_until INTEGER;
CREATE INDEX clients_expiry ON clients (keep_until);
",
];

/// What the `meta` table holds to tell whether the configured secret opens the records.
const CHECK_PLAINTEXT: &[u8] = b"frontmcp-auth sqlite store";

pub(super) fn migrate(conn: &mut Connection, path: &Path) -> StoreResult<()> {
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(unavailable)?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::Unavailable(format!(
            "{} has schema version {version}, newer than this build's {known}",
            path.display()
        )));
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Exclusive)
        .map_err(unavailable)?;
    for (step, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.execute_batch(sql).map_err(unavailable)?;
        tx.pragma_update(None, "user_version", step as i64 + 1)
            .map_err(unavailable)?;
    }
    tx.commit().map_err(unavailable)
}

pub(super) fn check_encryption(
    conn: &mut Connection,
    codec: &Codec,
    path: &Path,
) -> StoreResult<()> {
    let stored: Option<(bool, Vec<u8>)> = conn
        .query_row(
            "SELECT (SELECT value FROM meta WHERE name = 'encrypted'),
                    (SELECT value FROM meta WHERE name = 'check')",
            [],
            |row| {
                let flag: Option<String> = row.get(0)?;
                let check: Option<Vec<u8>> = row.get(1)?;
                Ok(flag.zip(check).map(|(f, c)| (f == "1", c)))
            },
        )
        .map_err(unavailable)?;
    match stored {
        None => {
            let check = codec.seal("meta:check", CHECK_PLAINTEXT)?;
            let flag = if codec.is_encrypted() { "1" } else { "0" };
            conn.execute(
                "INSERT INTO meta (name, value) VALUES ('encrypted', ?1), ('check', ?2)",
                params![flag, check],
            )
            .map_err(unavailable)?;
            Ok(())
        }
        Some((encrypted, _)) if encrypted != codec.is_encrypted() => {
            Err(StoreError::Unavailable(format!(
                "{} was created {} encryption; token_storage.sqlite.encryption must {}",
                path.display(),
                if encrypted { "with" } else { "without" },
                if encrypted {
                    "give its secret"
                } else {
                    "be absent"
                },
            )))
        }
        Some((_, check)) => match codec.open("meta:check", &check) {
            Ok(plain) if plain == CHECK_PLAINTEXT => Ok(()),
            _ => Err(StoreError::Unavailable(format!(
                "token_storage.sqlite.encryption.secret does not open {}: it is not the secret \
                 the database was created with",
                path.display()
            ))),
        },
    }
}
