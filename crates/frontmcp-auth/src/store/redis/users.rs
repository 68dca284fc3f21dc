//! The password directory's users in Redis: `user:{username}` (the record, no expiry) and the
//! set `users:all`, added under the limit by the same script that registers clients.

use futures::future::BoxFuture;
use redis::AsyncCommands;

use super::{RedisStore, from_json, scripts, to_json};
use crate::store::{MAX_USERS, StoreError, StoreResult, UserRecord, UserStore};

impl UserStore for RedisStore {
    fn user<'a>(&'a self, username: &'a str) -> BoxFuture<'a, StoreResult<Option<UserRecord>>> {
        Box::pin(async move {
            self.get_json(self.grouped_key("users", "user", username))
                .await
        })
    }

    fn put_user(&self, user: UserRecord) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move {
            let json = to_json(&user)?;
            let key = self.grouped_key("users", "user", &user.username);
            let index = self.grouped_key("users", "users", "all");
            let prefix = self.grouped_key("users", "user", "");
            let stored = self
                .call(|mut c| async move {
                    scripts()
                        .register
                        .key(key)
                        .key(index)
                        .arg(json)
                        .arg(MAX_USERS)
                        .arg("1")
                        .arg(&user.username)
                        .arg(0)
                        .arg(0)
                        .arg(prefix)
                        .invoke_async::<u64>(&mut c)
                        .await
                })
                .await?;
            if stored == 0 {
                return Err(StoreError::LimitReached(format!(
                    "the directory holds its maximum of {} users",
                    MAX_USERS
                )));
            }
            Ok(())
        })
    }

    fn delete_user<'a>(&'a self, username: &'a str) -> BoxFuture<'a, StoreResult<bool>> {
        Box::pin(async move {
            let key = self.grouped_key("users", "user", username);
            let index = self.grouped_key("users", "users", "all");
            let removed: u64 = self
                .call(|mut c| async move {
                    self.pipe()
                        .srem(&index, username)
                        .ignore()
                        .del(&key)
                        .query_async::<(u64,)>(&mut c)
                        .await
                        .map(|(n,)| n)
                })
                .await?;
            Ok(removed > 0)
        })
    }

    fn list_users(&self, limit: usize) -> BoxFuture<'_, StoreResult<Vec<UserRecord>>> {
        Box::pin(async move {
            let index = self.grouped_key("users", "users", "all");
            let mut names: Vec<String> = self
                .call(|mut c| async move { c.smembers(index).await })
                .await?;
            names.sort();
            names.truncate(limit);
            if names.is_empty() {
                return Ok(Vec::new());
            }
            let keys: Vec<String> = names
                .iter()
                .map(|n| self.grouped_key("users", "user", n))
                .collect();
            let stored: Vec<Option<Vec<u8>>> = self
                .call(|mut c| async move { redis::cmd("MGET").arg(keys).query_async(&mut c).await })
                .await?;
            stored
                .into_iter()
                .flatten()
                .map(|bytes| from_json(&bytes))
                .collect()
        })
    }

    fn has_users(&self) -> BoxFuture<'_, StoreResult<bool>> {
        Box::pin(async move {
            let index = self.grouped_key("users", "users", "all");
            let count: u64 = self
                .call(|mut c| async move { c.scard(index).await })
                .await?;
            Ok(count > 0)
        })
    }
}
