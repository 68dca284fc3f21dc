//! MCP sessions on Redis: `mcp:{session}` (the record, expiring when idle), `mcp-owner:{owner
//! hash}` (an owner's sessions, oldest first, for the per-owner bound), `mcp-events:{stream}`
//! (a Redis stream of a response stream's newest events, for `Last-Event-ID`) and
//! `mcp-event-key:v1` (the key event ids are signed with, one for every instance). Each step
//! touches one key, so this runs on a cluster unchanged.

use futures::future::BoxFuture;
use redis::AsyncCommands;

use super::{RedisStore, scripts, to_json};
use crate::secrets::digest;
use crate::store::{
    MCP_EVENT_TTL, MCP_EVENTS_PER_STREAM, MCP_SESSION_IDLE, McpSessionRecord, McpSessionStore,
    StoreResult,
};

/// Appends an event to a stream (KEYS[1]) of at most ARGV[1] events, which ends ARGV[3] ms
/// after its last: one command, atomic on one server and on a cluster.
pub(super) const APPEND_EVENT: &str = r"
local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], '*', 'b', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return id";

/// Whether `id` is the shape of a Redis stream entry id (`ms-seq`): anything else, from a
/// client's `Last-Event-ID`, names no event.
fn is_entry_id(id: &str) -> bool {
    let Some((ms, seq)) = id.split_once('-') else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit());
    digits(ms) && digits(seq)
}

impl RedisStore {
    fn owner_index(&self, owner: &str) -> String {
        self.key("mcp-owner", &digest(owner))
    }
}

impl McpSessionStore for RedisStore {
    fn put_mcp_session(
        &self,
        record: McpSessionRecord,
        per_owner: usize,
    ) -> BoxFuture<'_, StoreResult<Vec<String>>> {
        Box::pin(async move {
            let index = self.owner_index(&record.owner);
            let now = self.clock.now();
            let keep = -(per_owner.max(1) as isize) - 1;
            let id = record.id.clone();
            let (ended,): (Vec<String>,) = self
                .call(|mut c| async move {
                    self.pipe()
                        .zrembyscore(&index, "-inf", now.saturating_sub(MCP_SESSION_IDLE))
                        .ignore()
                        .zadd(&index, id, now)
                        .ignore()
                        .zrange(&index, 0, keep)
                        .zremrangebyrank(&index, 0, keep)
                        .ignore()
                        .pexpire(&index, (MCP_SESSION_IDLE * 1000) as i64)
                        .ignore()
                        .query_async(&mut c)
                        .await
                })
                .await?;
            for gone in &ended {
                self.delete_mcp_session(gone).await?;
            }
            let key = self.key("mcp", &record.id);
            let ttl = self.ttl_ms(record.keep_until);
            let json = to_json(&record)?;
            self.call(|mut c| async move { c.pset_ex::<_, _, ()>(key, json, ttl).await })
                .await?;
            Ok(ended)
        })
    }

    fn mcp_session<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<McpSessionRecord>>> {
        Box::pin(async move {
            let now = self.clock.now();
            Ok(self
                .get_json::<McpSessionRecord>(self.key("mcp", id))
                .await?
                .filter(|record| record.keep_until > now))
        })
    }

    fn touch_mcp_session<'a>(
        &'a self,
        id: &'a str,
        keep_until: u64,
    ) -> BoxFuture<'a, StoreResult<bool>> {
        Box::pin(async move {
            let Some(mut record) = self.mcp_session(id).await? else {
                return Ok(false);
            };
            record.keep_until = record.keep_until.max(keep_until);
            let index = self.owner_index(&record.owner);
            let now = self.clock.now();
            let member = id.to_owned();
            self.call(|mut c| async move {
                self.pipe()
                    .cmd("ZADD")
                    .arg(&index)
                    .arg("XX")
                    .arg(now)
                    .arg(member)
                    .ignore()
                    .pexpire(&index, (MCP_SESSION_IDLE * 1000) as i64)
                    .ignore()
                    .query_async::<()>(&mut c)
                    .await
            })
            .await?;
            let key = self.key("mcp", id);
            let ttl = self.ttl_ms(record.keep_until);
            let json = to_json(&record)?;
            // Only while it is there: a session deleted meanwhile stays deleted.
            let kept: Option<String> = self
                .call(|mut c| async move {
                    redis::cmd("SET")
                        .arg(key)
                        .arg(json)
                        .arg("PX")
                        .arg(ttl)
                        .arg("XX")
                        .query_async(&mut c)
                        .await
                })
                .await?;
            Ok(kept.is_some())
        })
    }

    fn delete_mcp_session<'a>(&'a self, id: &'a str) -> BoxFuture<'a, StoreResult<()>> {
        Box::pin(async move {
            let key = self.key("mcp", id);
            self.call(|mut c| async move { c.del::<_, ()>(key).await })
                .await
        })
    }

    /// `mcp-event-key`: set once (`SET NX GET`: the first instance's key wins), without expiry.
    fn mcp_event_key(&self) -> BoxFuture<'_, StoreResult<String>> {
        Box::pin(async move {
            let key = self.key("mcp-event-key", "v1");
            let mine = crate::secrets::random_token();
            let offered = mine.clone();
            let written = key.clone();
            let earlier: Option<String> = self
                .call(|mut c| async move {
                    redis::cmd("SET")
                        .arg(key)
                        .arg(offered)
                        .arg("NX")
                        .arg("GET")
                        .query_async(&mut c)
                        .await
                })
                .await?;
            if earlier.is_none() {
                self.replicated(&written).await?;
            }
            Ok(earlier.unwrap_or(mine))
        })
    }

    fn keeps_mcp_events(&self) -> bool {
        true
    }

    fn append_mcp_event<'a>(
        &'a self,
        stream: &'a str,
        body: String,
    ) -> BoxFuture<'a, StoreResult<String>> {
        Box::pin(async move {
            let key = self.key("mcp-events", stream);
            self.call(|mut c| async move {
                scripts()
                    .append_event
                    .key(key)
                    .arg(MCP_EVENTS_PER_STREAM)
                    .arg(body)
                    .arg(MCP_EVENT_TTL * 1000)
                    .invoke_async::<String>(&mut c)
                    .await
            })
            .await
        })
    }

    fn mcp_events_after<'a>(
        &'a self,
        stream: &'a str,
        after: &'a str,
    ) -> BoxFuture<'a, StoreResult<Vec<(String, String)>>> {
        Box::pin(async move {
            if !is_entry_id(after) {
                return Ok(Vec::new());
            }
            let key = self.key("mcp-events", stream);
            let start = format!("({after}");
            let entries: Vec<(String, Vec<String>)> = self
                .call(|mut c| async move {
                    redis::cmd("XRANGE")
                        .arg(key)
                        .arg(start)
                        .arg("+")
                        .arg("COUNT")
                        .arg(MCP_EVENTS_PER_STREAM)
                        .query_async(&mut c)
                        .await
                })
                .await?;
            Ok(entries
                .into_iter()
                .filter_map(|(id, fields)| {
                    let body = fields.chunks(2).find(|f| f[0] == "b")?.get(1)?.clone();
                    Some((id, body))
                })
                .collect())
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_stream_entry_ids_name_an_event() {
        assert!(super::is_entry_id("1700000000000-0"));
        assert!(!super::is_entry_id("(1-0"));
        assert!(!super::is_entry_id("1-"));
        assert!(!super::is_entry_id("+"));
        assert!(!super::is_entry_id("1-0 2"));
    }
}
