//! The shared store: one Redis server, or a Redis Cluster, behind every instance.
//!
//! Key layout (after `key_prefix`): `pending:{id}`, `code:{code-hash}`, `refresh:{token-hash}`
//! (which family and generation a refresh token is), `family:{id}` (its fields, and `tokens`: the
//! hashes it keeps), `client:{id}`, `clients:registered`, `session:{id}`,
//! `sessions:{subject-hash}`, `consent:{subject-hash}:{client}`, `vault:{session}`,
//! `user:{username}` and `users:all` (the directory, without expiry), `mcp:{session}`,
//! `mcp-owner:{owner-hash}` and `mcp-events:{stream}` (MCP sessions and their event log), and
//! `revocations` (a count every revocation increments, without expiry).
//!
//! Every atomic step touches one key, or keys of one hash slot, so the same layout runs on a
//! cluster: there the clients and the users carry the hash tags `{clients}` and `{users}`
//! (`frontmcp:auth:{clients}:client:{id}`), and every other step that spans keys is a sequence
//! of single-slot steps ordered so that a crash between two leaves nothing a reader trusts (a
//! refresh token's pointer is written before its family lists it, and is trusted only while it
//! does). Every key that expires carries a native Redis TTL; the record's own expiry is also
//! stored and compared with the injected clock, so expiry is exact to the second. The steps that
//! must be atomic across instances (redeem a code, rotate or revoke a family, register under a
//! limit) are Lua scripts. The connection reconnects by itself (and, on a cluster, follows
//! `MOVED`/`ASK` and failovers); every call is bounded by a timeout, and a failure is
//! [`StoreError::Unavailable`] (HTTP 503), never a hang.

mod clients;
mod conn;
mod families;
mod locks;
mod mcp;
mod options;
mod sessions;
mod users;

pub use options::RedisOptions;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use redis::{AsyncCommands, Script};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{
    CodeGrant, CodeRedemption, ConsentRecord, ConsentStore, GrantStore, Maintenance,
    PendingAuthorization, SessionRecord, SessionStore, StoreError, StoreResult, VaultStore,
};
use crate::clock::Clock;
use crate::secrets::digest;

/// The longest any one store call may take, reconnection included.
const CALL_TIMEOUT: Duration = Duration::from_secs(2);

/// A store in Redis, shared by every instance that names the same server and prefix. Needs the
/// `redis` feature.
#[derive(Clone)]
pub struct RedisStore {
    conn: conn::Conn,
    /// Whether `conn` is a cluster's (the grouped keys then carry hash tags).
    cluster: bool,
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

/// One hit on a fixed-window counter: the count so far; the key expires with its window.
const HIT: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
";

/// The Lua scripts, hashed once.
struct Scripts {
    hit: Script,
    append_event: Script,
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
        append_event: Script::new(mcp::APPEND_EVENT),
        register: Script::new(clients::REGISTER),
        touch: Script::new(clients::TOUCH),
        redeem: Script::new(REDEEM),
        rotate: Script::new(families::ROTATE),
        revoke: Script::new(families::REVOKE),
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
        Ok(Self {
            conn: conn::Conn::open(options)?,
            cluster: !options.cluster.is_empty(),
            prefix: Arc::from(options.key_prefix.as_str()),
            clock,
            where_: Arc::from(options.describe()),
        })
    }

    fn key(&self, kind: &str, id: &str) -> String {
        format!("{}{kind}:{id}", self.prefix)
    }

    /// The key of a record one multi-key step groups with others of `group` (`clients`,
    /// `users`): on a cluster it carries the hash tag `{group}`, so the step stays in one slot.
    fn grouped_key(&self, group: &str, kind: &str, id: &str) -> String {
        if self.cluster {
            format!("{}{{{group}}}:{kind}:{id}", self.prefix)
        } else {
            self.key(kind, id)
        }
    }

    /// A pipeline for the steps on one key (or one slot): a transaction on one server; on a
    /// cluster, plain (its client follows `MOVED` for a plain pipeline, not for a transaction,
    /// and each such step stays correct when another client's command lands between two of its
    /// commands).
    fn pipe(&self) -> redis::Pipeline {
        let mut pipe = redis::pipe();
        if !self.cluster {
            pipe.atomic();
        }
        pipe
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
        F: FnOnce(conn::Conn) -> Fut,
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

    /// On a cluster, waits until the writes on `key`'s master reached its replica, so that a
    /// failover loses none that was answered. A replica that does not acknowledge in time (it
    /// is away) leaves the write standing, with a warning: the shard then runs without a copy.
    async fn replicated(&self, key: &str) -> StoreResult<()> {
        match tokio::time::timeout(CALL_TIMEOUT, self.conn.wait_for_replica(key)).await {
            Ok(Ok(None)) => Ok(()),
            Ok(Ok(Some(acknowledged))) => {
                if acknowledged < 1 {
                    tracing::warn!(target: "frontmcp_auth::store", "no replica acknowledged a write: the shard has no copy now");
                }
                Ok(())
            }
            Ok(Err(error)) => Err(unavailable(format!("{error} at {}", self.where_))),
            Err(_) => Err(unavailable(format!(
                "no answer from {} within {CALL_TIMEOUT:?}",
                self.where_
            ))),
        }
    }

    /// Writes the hash `key` as `fields`, expiring in `ttl_ms`; `fresh` deletes it first (for
    /// a record whose fields vary: a reader may then see none for an instant on a cluster).
    async fn put_hash(
        &self,
        key: &str,
        fields: &[(&str, Vec<u8>)],
        ttl_ms: u64,
        fresh: bool,
    ) -> StoreResult<()> {
        let mut pipe = self.pipe();
        if fresh {
            pipe.del(key).ignore();
        }
        pipe.hset_multiple(key, fields)
            .ignore()
            .pexpire(key, ttl_ms as i64)
            .ignore();
        self.call(|mut c| async move { pipe.query_async::<()>(&mut c).await })
            .await
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

    /// A JSON record, decoded; `None` when the key is not there.
    async fn get_json<T: DeserializeOwned>(&self, key: String) -> StoreResult<Option<T>> {
        self.get_bytes(key)
            .await?
            .map(|bytes| from_json(&bytes))
            .transpose()
    }

    /// A record in its envelope, only while it is live.
    async fn get_envelope<T: DeserializeOwned>(&self, key: String) -> StoreResult<Option<T>> {
        Ok(self
            .get_json::<Envelope<T>>(key)
            .await?
            .and_then(|envelope| self.live(envelope)))
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
            let fields = [
                ("record", record.into_bytes()),
                ("keep_until", keep_until.to_string().into_bytes()),
            ];
            self.put_hash(&key, &fields, ttl, true).await?;
            self.replicated(&key).await
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
            let redeemed = key.clone();
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
            if outcome == 1 {
                self.replicated(&redeemed).await?;
            }
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

    fn mcp_sessions(&self) -> Option<&dyn crate::store::McpSessionStore> {
        Some(self)
    }

    fn ping(&self) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move {
            self.call(|mut c| async move { redis::cmd("PING").query_async::<String>(&mut c).await })
                .await
                .map(|_| ())
        })
    }
}
