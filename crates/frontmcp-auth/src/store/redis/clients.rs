//! Clients in Redis: `client:{id}` (the record as JSON, with a native TTL when it expires) and
//! the set `clients:registered` of dynamically registered ids, which the registration script
//! counts against the limit and prunes of expired clients when the limit is reached.

use futures::future::BoxFuture;

use super::{RedisStore, scripts, to_json};
use crate::store::{ClientRecord, ClientSource, ClientStore, StoreError, StoreResult};

/// Adds a record to a bounded set (clients, and the directory's users): ARGV is the record, the
/// limit, whether it counts (`1`), its id, its TTL in ms (`0`: none), now, and the prefix of the
/// records' keys. At the limit, the ids whose record is gone or expired leave the set first.
pub(super) const REGISTER: &str = r"
if ARGV[3] == '1' then
  if redis.call('SISMEMBER', KEYS[2], ARGV[4]) == 0
     and redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[2]) then
    for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do
      local v = redis.call('GET', ARGV[7] .. id)
      local ends = v and cjson.decode(v).keep_until
      if not v or (type(ends) == 'number' and ends <= tonumber(ARGV[6])) then
        redis.call('SREM', KEYS[2], id)
        redis.call('DEL', ARGV[7] .. id)
      end
    end
    if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[2]) then return 0 end
  end
  redis.call('SADD', KEYS[2], ARGV[4])
end
if tonumber(ARGV[5]) > 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[5])
else
  redis.call('SET', KEYS[1], ARGV[1])
end
return 1";

/// Moves a client's expiry from ARGV[1] to ARGV[2] (TTL ARGV[3] ms), only while the stored record
/// still ends at ARGV[1]: a removed or changed client is left as it is.
pub(super) const TOUCH: &str = r#"
local v = redis.call('GET', KEYS[1])
if not v or cjson.decode(v).keep_until ~= tonumber(ARGV[1]) then return 0 end
local moved = string.gsub(v, '"keep_until":%d+', '"keep_until":' .. ARGV[2], 1)
redis.call('SET', KEYS[1], moved, 'PX', ARGV[3])
return 1"#;

impl ClientStore for RedisStore {
    fn client<'a>(
        &'a self,
        client_id: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<ClientRecord>>> {
        Box::pin(async move {
            let now = self.clock.now();
            Ok(self
                .get_json::<ClientRecord>(self.grouped_key("clients", "client", client_id))
                .await?
                .filter(|client| client.is_live(now)))
        })
    }

    fn register_client(&self, client: ClientRecord, max: u64) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move {
            let json = to_json(&client)?;
            let registered = if client.source == ClientSource::Registered {
                "1"
            } else {
                "0"
            };
            let (key, set) = (
                self.grouped_key("clients", "client", &client.client_id),
                self.grouped_key("clients", "clients", "registered"),
            );
            let id = client.client_id.clone();
            let ttl = client.keep_until.map_or(0, |until| self.ttl_ms(until));
            let now = self.clock.now();
            let prefix = self.grouped_key("clients", "client", "");
            let stored: i64 = self
                .call(|mut c| async move {
                    scripts()
                        .register
                        .key(key)
                        .key(set)
                        .arg(json)
                        .arg(max)
                        .arg(registered)
                        .arg(id)
                        .arg(ttl)
                        .arg(now)
                        .arg(prefix)
                        .invoke_async(&mut c)
                        .await
                })
                .await?;
            if stored == 1 {
                self.replicated(&self.grouped_key("clients", "client", &client.client_id))
                    .await
            } else {
                Err(StoreError::LimitReached(format!(
                    "{max} dynamically registered clients"
                )))
            }
        })
    }

    fn touch_client<'a>(
        &'a self,
        client: &'a ClientRecord,
        keep_until: u64,
    ) -> BoxFuture<'a, StoreResult<()>> {
        Box::pin(async move {
            let Some(before) = client.keep_until else {
                return Ok(());
            };
            let key = self.grouped_key("clients", "client", &client.client_id);
            let ttl = self.ttl_ms(keep_until);
            self.call(|mut c| async move {
                scripts()
                    .touch
                    .key(key)
                    .arg(before)
                    .arg(keep_until)
                    .arg(ttl)
                    .invoke_async::<i64>(&mut c)
                    .await
            })
            .await
            .map(|_| ())
        })
    }

    fn delete_client<'a>(&'a self, client_id: &'a str) -> BoxFuture<'a, StoreResult<bool>> {
        Box::pin(async move {
            let key = self.grouped_key("clients", "client", client_id);
            let set = self.grouped_key("clients", "clients", "registered");
            let id = client_id.to_owned();
            let (removed,): (i64,) = self
                .call(|mut c| async move {
                    self.pipe()
                        .del(&key)
                        .srem(&set, &id)
                        .ignore()
                        .query_async(&mut c)
                        .await
                })
                .await?;
            self.replicated(&self.grouped_key("clients", "client", client_id))
                .await?;
            // Its own slot on a cluster: counted after the client is gone (a failure is a 503
            // the caller retries).
            let count = self.revocations_key();
            self.call(|mut c| async move {
                redis::AsyncCommands::incr::<_, _, ()>(&mut c, count, 1).await
            })
            .await?;
            Ok(removed == 1)
        })
    }
}
