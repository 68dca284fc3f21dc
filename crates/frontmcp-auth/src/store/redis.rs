//! The shared store: one Redis server behind every instance.
//!
//! Key layout (after `key_prefix`): `pending:{id}`, `code:{code-hash}`, `refresh:{token-hash}`,
//! `family:{id}` (its fields, and `tokens`: the hashes it keeps), `client:{id}`, `clients:registered`, `session:{id}`,
//! `sessions:{subject-hash}`, `consent:{subject-hash}:{client}`, `vault:{session}`,
//! `user:{username}` and `users:all` (the directory, without expiry), and `revocations` (a
//! count every revocation increments, without expiry). Every key
//! that expires carries a native Redis TTL; the record's own expiry is also stored and compared
//! with the injected clock, so expiry is exact to the second. The steps that must be atomic
//! across instances (redeem a code, rotate or revoke a family, register under a limit) are Lua
//! scripts. The connection reconnects by itself; every call is bounded by a timeout, and a
//! failure is [`StoreError::Unavailable`] (HTTP 503), never a hang.

mod clients;
mod locks;
mod options;
mod sessions;
mod users;

pub use options::RedisOptions;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Script};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{
    CodeGrant, CodeRedemption, ConsentRecord, ConsentStore, FamilyLookup, FamilyStore, Grant,
    GrantStore, Maintenance, PendingAuthorization, RefreshFamily, Rotation, SessionRecord,
    SessionStore, StoreError, StoreResult, VaultStore,
};
use crate::clock::Clock;
use crate::secrets::digest;

/// The longest any one store call may take, reconnection included.
const CALL_TIMEOUT: Duration = Duration::from_secs(2);

/// A store in Redis, shared by every instance that names the same server and prefix. Needs the
/// `redis` feature.
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    prefix: Arc<str>,
    clock: Clock,
    where_: Arc<str>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("server", &self.where_)
            .field("prefix", &self.prefix)
            .finish()
    }
}

fn unavailable(error: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("redis: {error}"))
}

/// A record with the second it may be dropped.
#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    keep_until: u64,
    record: T,
}

const REDEEM: &str = r"
local v = redis.call('HMGET', KEYS[1], 'record', 'keep_until', 'redeemed_by')
if not v[1] or tonumber(v[2]) <= tonumber(ARGV[1]) then return {0, ''} end
if v[3] then return {2, v[3]} end
redis.call('HSET', KEYS[1], 'redeemed_by', ARGV[2])
return {1, v[1]}";

/// Rotates a family: ARGV[8] is the prefix of refresh-token keys, ARGV[9] the new token's hash,
/// ARGV[10] how many hashes the family keeps; the older ones' keys go.
const ROTATE: &str = r"
local f = redis.call('HMGET', KEYS[1], 'generation', 'revoked', 'expires_at', 'tokens')
if not f[1] or f[2] == '1' or f[1] ~= ARGV[1] then return 0 end
if tonumber(f[3]) <= tonumber(ARGV[7]) then return 0 end
local next = tostring(tonumber(ARGV[1]) + 1)
local hashes = {}
for h in string.gmatch(f[4] or '', '%S+') do hashes[#hashes + 1] = h end
hashes[#hashes + 1] = ARGV[9]
local drop = #hashes - tonumber(ARGV[10])
for i = 1, drop do redis.call('DEL', ARGV[8] .. hashes[i]) end
if drop < 0 then drop = 0 end
redis.call('HSET', KEYS[1], 'generation', next, 'expires_at', ARGV[2], 'rotated_at', ARGV[3],
  'replay', ARGV[4], 'tokens', table.concat(hashes, ' ', drop + 1))
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('SET', KEYS[2], next .. ':' .. ARGV[5], 'PX', ARGV[6])
return 1";

/// Removes a family and its token keys (ARGV[1] is the prefix of refresh-token keys), and
/// counts the revocation.
const REVOKE: &str = r"
local tokens = redis.call('HGET', KEYS[1], 'tokens')
if tokens then
  for h in string.gmatch(tokens, '%S+') do redis.call('DEL', ARGV[1] .. h) end
end
redis.call('DEL', KEYS[1])
redis.call('INCR', KEYS[2])
return 1";

/// One hit on a fixed-window counter: the count so far; the key expires with its window.
const HIT: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
";

/// The Lua scripts, hashed once.
struct Scripts {
    hit: Script,
    register: Script,
    touch: Script,
    redeem: Script,
    rotate: Script,
    revoke: Script,
}

fn scripts() -> &'static Scripts {
    static SCRIPTS: std::sync::OnceLock<Scripts> = std::sync::OnceLock::new();
    SCRIPTS.get_or_init(|| Scripts {
        hit: Script::new(HIT),
        register: Script::new(clients::REGISTER),
        touch: Script::new(clients::TOUCH),
        redeem: Script::new(REDEEM),
        rotate: Script::new(ROTATE),
        revoke: Script::new(REVOKE),
    })
}

fn to_json<T: Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| unavailable(format!("cannot serialize: {e}")))
}

fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> StoreResult<T> {
    serde_json::from_slice(bytes).map_err(|e| unavailable(format!("unreadable record: {e}")))
}

fn field_u64(fields: &HashMap<String, Vec<u8>>, name: &str) -> StoreResult<u64> {
    fields
        .get(name)
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| unavailable(format!("a family lacks its {name}")))
}

impl RedisStore {
    /// A store on the server `options` names. The connection is made on first use and remade
    /// whenever it drops; call [`Maintenance::ping`] to learn at start-up whether it works.
    pub fn connect(options: &RedisOptions, clock: Clock) -> StoreResult<Self> {
        let url = options.url()?;
        let client = redis::Client::open(url.as_str()).map_err(unavailable)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(1000)))
            .set_response_timeout(Some(Duration::from_millis(1500)))
            .set_number_of_retries(2)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(400));
        let conn = ConnectionManager::new_lazy_with_config(client, config).map_err(unavailable)?;
        Ok(Self {
            conn,
            prefix: Arc::from(options.key_prefix.as_str()),
            clock,
            where_: Arc::from(format!("{}:{}/{}", options.host, options.port, options.db)),
        })
    }

    fn key(&self, kind: &str, id: &str) -> String {
        format!("{}{kind}:{id}", self.prefix)
    }

    /// The count of revocations (see [`Maintenance::revocations`]).
    fn revocations_key(&self) -> String {
        format!("{}revocations", self.prefix)
    }

    /// Milliseconds from now until `keep_until`, at least one.
    fn ttl_ms(&self, keep_until: u64) -> u64 {
        keep_until.saturating_sub(self.clock.now()).max(1) * 1000
    }

    /// Runs one call against the server, bounded by [`CALL_TIMEOUT`].
    async fn call<T, F, Fut>(&self, f: F) -> StoreResult<T>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        match tokio::time::timeout(CALL_TIMEOUT, f(self.conn.clone())).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(unavailable(format!("{} at {}", error, self.where_))),
            Err(_) => Err(unavailable(format!(
                "no answer from {} within {:?}",
                self.where_, CALL_TIMEOUT
            ))),
        }
    }

    async fn get_bytes(&self, key: String) -> StoreResult<Option<Vec<u8>>> {
        self.call(|mut c| async move { c.get::<_, Option<Vec<u8>>>(key).await })
            .await
    }

    async fn put_envelope<T: Serialize>(
        &self,
        key: String,
        record: &T,
        keep_until: u64,
    ) -> StoreResult<()> {
        let json = to_json(&Envelope { keep_until, record })?;
        let ttl = self.ttl_ms(keep_until);
        self.call(|mut c| async move { c.pset_ex::<_, _, ()>(key, json, ttl).await })
            .await
    }

    fn live<T>(&self, envelope: Envelope<T>) -> Option<T> {
        (envelope.keep_until > self.clock.now()).then_some(envelope.record)
    }

    async fn get_envelope<T: DeserializeOwned>(&self, key: String) -> StoreResult<Option<T>> {
        match self.get_bytes(key).await? {
            None => Ok(None),
            Some(bytes) => Ok(self.live(from_json::<Envelope<T>>(&bytes)?)),
        }
    }

    async fn load_family(&self, family_id: &str) -> StoreResult<Option<RefreshFamily>> {
        let key = self.key("family", family_id);
        let fields: HashMap<String, Vec<u8>> = self
            .call(|mut c| async move { c.hgetall(key).await })
            .await?;
        if fields.is_empty() {
            return Ok(None);
        }
        let grant: Grant = from_json(
            fields
                .get("grant")
                .ok_or_else(|| unavailable("a family lacks its grant"))?,
        )?;
        let family = RefreshFamily {
            id: family_id.to_owned(),
            grant,
            generation: field_u64(&fields, "generation")?,
            expires_at: field_u64(&fields, "expires_at")?,
            rotated_at: field_u64(&fields, "rotated_at")?,
            replay: fields.get("replay").cloned().filter(|r| !r.is_empty()),
            revoked: fields.get("revoked").is_some_and(|r| r == b"1"),
        };
        Ok((family.expires_at > self.clock.now()).then_some(family))
    }
}

impl GrantStore for RedisStore {
    fn put_pending(
        &self,
        pending: PendingAuthorization,
        keep_until: u64,
    ) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move {
            self.put_envelope(self.key("pending", &pending.id), &pending, keep_until)
                .await
        })
    }

    fn pending<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<PendingAuthorization>>> {
        Box::pin(async move { self.get_envelope(self.key("pending", id)).await })
    }

    fn take_pending<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<PendingAuthorization>>> {
        Box::pin(async move {
            let key = self.key("pending", id);
            let bytes: Option<Vec<u8>> = self
                .call(|mut c| async move { c.get_del(key).await })
                .await?;
            match bytes {
                None => Ok(None),
                Some(bytes) => Ok(self.live(from_json::<Envelope<_>>(&bytes)?)),
            }
        })
    }

    fn put_code(
        &self,
        code_hash: String,
        grant: CodeGrant,
        keep_until: u64,
    ) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move {
            let key = self.key("code", &code_hash);
            let record = to_json(&grant)?;
            let ttl = self.ttl_ms(keep_until);
            self.call(|mut c| async move {
                redis::pipe()
                    .atomic()
                    .del(&key)
                    .ignore()
                    .hset_multiple(
                        &key,
                        &[("record", record), ("keep_until", keep_until.to_string())],
                    )
                    .ignore()
                    .pexpire(&key, ttl as i64)
                    .ignore()
                    .query_async::<()>(&mut c)
                    .await
            })
            .await
        })
    }

    fn redeem_code<'a>(
        &'a self,
        code_hash: &'a str,
        family_id: &'a str,
    ) -> BoxFuture<'a, StoreResult<CodeRedemption>> {
        Box::pin(async move {
            let key = self.key("code", code_hash);
            let now = self.clock.now();
            let (outcome, value): (i64, Vec<u8>) = self
                .call(|mut c| async move {
                    scripts()
                        .redeem
                        .key(key)
                        .arg(now)
                        .arg(family_id)
                        .invoke_async(&mut c)
                        .await
                })
                .await?;
            match outcome {
                1 => Ok(CodeRedemption::Fresh(Box::new(from_json(&value)?))),
                2 => Ok(CodeRedemption::Reused {
                    family_id: String::from_utf8_lossy(&value).into_owned(),
                }),
                _ => Ok(CodeRedemption::Unknown),
            }
        })
    }
}

impl FamilyStore for RedisStore {
    fn create_family(
        &self,
        family: RefreshFamily,
        token_hash: String,
    ) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move {
            let key = self.key("family", &family.id);
            let token_key = self.key("refresh", &token_hash);
            let ttl = self.ttl_ms(family.expires_at) as i64;
            let mut fields: Vec<(&str, Vec<u8>)> = vec![
                ("grant", to_json(&family.grant)?.into_bytes()),
                ("generation", family.generation.to_string().into_bytes()),
                ("expires_at", family.expires_at.to_string().into_bytes()),
                ("rotated_at", family.rotated_at.to_string().into_bytes()),
                (
                    "revoked",
                    if family.revoked { "1" } else { "0" }.as_bytes().to_vec(),
                ),
            ];
            if let Some(replay) = &family.replay {
                fields.push(("replay", replay.clone()));
            }
            fields.push(("tokens", token_hash.clone().into_bytes()));
            let pointer = format!("{}:{}", family.generation, family.id);
            self.call(|mut c| async move {
                redis::pipe()
                    .atomic()
                    .del(&key)
                    .ignore()
                    .hset_multiple(&key, &fields)
                    .ignore()
                    .pexpire(&key, ttl)
                    .ignore()
                    .pset_ex(&token_key, pointer, ttl as u64)
                    .ignore()
                    .query_async::<()>(&mut c)
                    .await
            })
            .await
        })
    }

    fn family_by_token<'a>(
        &'a self,
        token_hash: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<FamilyLookup>>> {
        Box::pin(async move {
            let Some(pointer) = self.get_bytes(self.key("refresh", token_hash)).await? else {
                return Ok(None);
            };
            let pointer = String::from_utf8_lossy(&pointer);
            let Some((generation, family_id)) = pointer.split_once(':') else {
                return Err(unavailable("a refresh-token pointer is malformed"));
            };
            let generation = generation
                .parse()
                .map_err(|_| unavailable("a refresh-token pointer is malformed"))?;
            Ok(self
                .load_family(family_id)
                .await?
                .map(|family| FamilyLookup { family, generation }))
        })
    }

    fn family<'a>(
        &'a self,
        family_id: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<RefreshFamily>>> {
        Box::pin(self.load_family(family_id))
    }

    fn rotate_family(&self, rotation: Rotation) -> BoxFuture<'_, StoreResult<bool>> {
        Box::pin(async move {
            let key = self.key("family", &rotation.family_id);
            let token_key = self.key("refresh", &rotation.new_token_hash);
            let ttl = self.ttl_ms(rotation.expires_at);
            let now = self.clock.now();
            let refresh_prefix = self.key("refresh", "");
            let rotated: i64 = self
                .call(|mut c| async move {
                    scripts()
                        .rotate
                        .key(key)
                        .key(token_key)
                        .arg(rotation.from_generation)
                        .arg(rotation.expires_at)
                        .arg(rotation.rotated_at)
                        .arg(rotation.replay)
                        .arg(rotation.family_id)
                        .arg(ttl)
                        .arg(now)
                        .arg(refresh_prefix)
                        .arg(rotation.new_token_hash)
                        .arg(crate::store::KEPT_TOKEN_GENERATIONS)
                        .invoke_async(&mut c)
                        .await
                })
                .await?;
            Ok(rotated == 1)
        })
    }

    fn revoke_family<'a>(&'a self, family_id: &'a str) -> BoxFuture<'a, StoreResult<()>> {
        Box::pin(async move {
            let key = self.key("family", family_id);
            let count = self.revocations_key();
            let refresh_prefix = self.key("refresh", "");
            self.call(|mut c| async move {
                scripts()
                    .revoke
                    .key(key)
                    .key(count)
                    .arg(refresh_prefix)
                    .invoke_async::<i64>(&mut c)
                    .await
            })
            .await
            .map(|_| ())
        })
    }
}

impl Maintenance for RedisStore {
    /// `revocations`, which the revocation script increments: one `GET` per check.
    fn revocations(&self) -> Option<BoxFuture<'_, StoreResult<u64>>> {
        Some(Box::pin(async move {
            let key = self.revocations_key();
            let count: Option<u64> = self.call(|mut c| async move { c.get(key).await }).await?;
            Ok(count.unwrap_or(0))
        }))
    }

    /// Redis expires keys itself; nothing to sweep.
    fn sweep_expired(&self) -> BoxFuture<'_, StoreResult<u64>> {
        Box::pin(std::future::ready(Ok(0)))
    }

    fn backend(&self) -> &'static str {
        "redis"
    }

    fn hit<'a>(&'a self, key: &'a str, ttl: u64) -> Option<BoxFuture<'a, StoreResult<u64>>> {
        let key = self.key("ratelimit", key);
        Some(Box::pin(async move {
            self.call(|mut c| async move {
                scripts()
                    .hit
                    .key(key)
                    .arg(ttl.max(1))
                    .invoke_async::<u64>(&mut c)
                    .await
            })
            .await
        }))
    }

    fn peek<'a>(&'a self, key: &'a str) -> Option<BoxFuture<'a, StoreResult<u64>>> {
        let key = self.key("ratelimit", key);
        Some(Box::pin(async move {
            self.call(|mut c| async move { c.get::<_, Option<u64>>(key).await })
                .await
                .map(Option::unwrap_or_default)
        }))
    }

    fn try_lock<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: u64,
    ) -> Option<BoxFuture<'a, StoreResult<bool>>> {
        Some(Box::pin(self.lock(key, holder, ttl)))
    }

    fn unlock<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
    ) -> Option<BoxFuture<'a, StoreResult<()>>> {
        Some(Box::pin(self.release(key, holder)))
    }

    fn ping(&self) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move {
            self.call(|mut c| async move { redis::cmd("PING").query_async::<String>(&mut c).await })
                .await
                .map(|_| ())
        })
    }
}
