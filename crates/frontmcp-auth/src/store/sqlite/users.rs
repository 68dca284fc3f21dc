//! The password directory's users in the SQLite file: the `users` table, each record sealed
//! like every other (bound to its username).

use futures::future::BoxFuture;
use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, as_i64, as_u64, immediate, unavailable};
use crate::store::{MAX_USERS, StoreError, StoreResult, UserRecord, UserStore};

fn user_key(username: &str) -> String {
    format!("user:{username}")
}

impl UserStore for SqliteStore {
    fn user<'a>(&'a self, username: &'a str) -> BoxFuture<'a, StoreResult<Option<UserRecord>>> {
        let username = username.to_owned();
        self.run(move |conn, codec, _| {
            let stored: Option<Vec<u8>> = conn
                .query_row(
                    "SELECT record FROM users WHERE username = ?1",
                    [&username],
                    |row| row.get(0),
                )
                .optional()
                .map_err(unavailable)?;
            stored
                .map(|bytes| codec.decode(&user_key(&username), &bytes))
                .transpose()
        })
    }

    fn put_user(&self, user: UserRecord) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |conn, codec, _| {
            let record = codec.encode(&user_key(&user.username), &user)?;
            immediate(conn, |tx| {
                let exists: bool = tx
                    .query_row(
                        "SELECT EXISTS (SELECT 1 FROM users WHERE username = ?1)",
                        [&user.username],
                        |row| row.get(0),
                    )
                    .map_err(unavailable)?;
                let count: i64 = tx
                    .query_row("SELECT COUNT(*) FROM users", [], |row| row.get(0))
                    .map_err(unavailable)?;
                if !exists && as_u64(count) >= MAX_USERS as u64 {
                    return Err(StoreError::LimitReached(format!(
                        "the directory holds its maximum of {} users",
                        MAX_USERS
                    )));
                }
                tx.execute(
                    "INSERT OR REPLACE INTO users (username, record) VALUES (?1, ?2)",
                    params![user.username, record],
                )
                .map_err(unavailable)?;
                Ok(())
            })
        })
    }

    fn delete_user<'a>(&'a self, username: &'a str) -> BoxFuture<'a, StoreResult<bool>> {
        let username = username.to_owned();
        self.run(move |conn, _, _| {
            conn.execute("DELETE FROM users WHERE username = ?1", [&username])
                .map(|n| n > 0)
                .map_err(unavailable)
        })
    }

    fn list_users(&self, limit: usize) -> BoxFuture<'_, StoreResult<Vec<UserRecord>>> {
        self.run(move |conn, codec, _| {
            let mut statement = conn
                .prepare("SELECT username, record FROM users ORDER BY username LIMIT ?1")
                .map_err(unavailable)?;
            let rows = statement
                .query_map([as_i64(limit as u64)], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, Vec<u8>>(1)?))
                })
                .map_err(unavailable)?;
            let mut users = Vec::new();
            for row in rows {
                let (username, bytes) = row.map_err(unavailable)?;
                users.push(codec.decode(&user_key(&username), &bytes)?);
            }
            Ok(users)
        })
    }

    fn has_users(&self) -> BoxFuture<'_, StoreResult<bool>> {
        self.run(|conn, _, _| {
            conn.query_row("SELECT EXISTS (SELECT 1 FROM users)", [], |row| row.get(0))
                .map_err(unavailable)
        })
    }
}
