//! Shared locks in Redis: `lock:{key}` holds its holder's id and expires by itself, so a
//! crashed holder blocks others for at most the lock's lifetime.

use super::RedisStore;
use crate::store::StoreResult;

/// Deletes the lock only while the caller still holds it.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

impl RedisStore {
    /// `SET lock:{key} holder NX EX ttl`.
    pub(super) async fn lock(&self, key: &str, holder: &str, ttl: u64) -> StoreResult<bool> {
        let key = self.key("lock", key);
        let holder = holder.to_owned();
        let set: Option<String> = self
            .call(|mut c| async move {
                redis::cmd("SET")
                    .arg(key)
                    .arg(holder)
                    .arg("NX")
                    .arg("EX")
                    .arg(ttl.max(1))
                    .query_async(&mut c)
                    .await
            })
            .await?;
        Ok(set.is_some())
    }

    /// Deletes `lock:{key}` if `holder` has it.
    pub(super) async fn release(&self, key: &str, holder: &str) -> StoreResult<()> {
        let key = self.key("lock", key);
        let holder = holder.to_owned();
        self.call(|mut c| async move {
            redis::Script::new(RELEASE)
                .key(key)
                .arg(holder)
                .invoke_async::<i64>(&mut c)
                .await
        })
        .await
        .map(|_| ())
    }
}
