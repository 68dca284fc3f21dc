//! Refresh-token families. A family is one hash, `family:{id}`, and every script touches only
//! it, so rotation and revocation stay atomic on a cluster. A token's pointer,
//! `refresh:{token-hash}` → `generation:family`, lives in its own slot: it is written before
//! the rotation that lists the token, and trusted only while the family's `tokens` lists the
//! hash. A pointer left by a rotation that lost its race, or by a crash, is therefore unknown,
//! and expires with its TTL.

use std::collections::HashMap;

use futures::future::{BoxFuture, join_all};
use redis::AsyncCommands;

use super::{RedisStore, field_u64, from_json, scripts, to_json, unavailable};
use crate::store::{
    FamilyLookup, FamilyStore, Grant, KEPT_TOKEN_GENERATIONS, RefreshFamily, Rotation, StoreResult,
};

/// Rotates a family: ARGV[1] the generation rotated from, [2] the new expiry, [3] the rotation
/// time, [4] the sealed replay, [5] the TTL in ms, [6] now, [7] the new token's hash, [8] how
/// many hashes the family keeps. Returns `{1, dropped hashes...}`, or `{0}` when the family is
/// gone, revoked, expired or already past that generation. On one server (every key in one
/// place) KEYS[2] is the new token's pointer, written with ARGV[9], and the dropped pointers
/// (prefix ARGV[10]) go in the same step: one round trip on the token endpoint's hot path. On a
/// cluster the pointer is written before, in its own slot, and the dropped ones after.
pub(super) const ROTATE: &str = r"
local f = redis.call('HMGET', KEYS[1], 'generation', 'revoked', 'expires_at', 'tokens')
if not f[1] or f[2] == '1' or f[1] ~= ARGV[1] then return {'0'} end
if tonumber(f[3]) <= tonumber(ARGV[6]) then return {'0'} end
local next = tostring(tonumber(ARGV[1]) + 1)
local hashes = {}
for h in string.gmatch(f[4] or '', '%S+') do hashes[#hashes + 1] = h end
hashes[#hashes + 1] = ARGV[7]
local drop = #hashes - tonumber(ARGV[8])
if drop < 0 then drop = 0 end
local result = {'1'}
for i = 1, drop do result[#result + 1] = hashes[i] end
redis.call('HSET', KEYS[1], 'generation', next, 'expires_at', ARGV[2], 'rotated_at', ARGV[3],
  'replay', ARGV[4], 'tokens', table.concat(hashes, ' ', drop + 1))
redis.call('PEXPIRE', KEYS[1], ARGV[5])
if KEYS[2] then
  redis.call('SET', KEYS[2], ARGV[9], 'PX', ARGV[5])
  for i = 1, drop do redis.call('DEL', ARGV[10] .. hashes[i]) end
  return {'1'}
end
return result";

/// Removes a family; returns the hashes it kept (their pointers go next).
pub(super) const REVOKE: &str = r"
local tokens = redis.call('HGET', KEYS[1], 'tokens')
redis.call('DEL', KEYS[1])
return tokens or ''";

impl RedisStore {
    /// The family and the token hashes it keeps, while it lasts.
    async fn load_family_tokens(
        &self,
        family_id: &str,
    ) -> StoreResult<Option<(RefreshFamily, String)>> {
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
        let tokens = fields
            .get("tokens")
            .map(|t| String::from_utf8_lossy(t).into_owned())
            .unwrap_or_default();
        Ok((family.expires_at > self.clock.now()).then_some((family, tokens)))
    }

    /// Writes a token's pointer (before the step that lists the token); returns its key.
    async fn put_pointer(
        &self,
        token_hash: &str,
        pointer: String,
        ttl_ms: u64,
    ) -> StoreResult<String> {
        let key = self.key("refresh", token_hash);
        let written = key.clone();
        self.call(|mut c| async move { c.pset_ex::<_, _, ()>(key, pointer, ttl_ms).await })
            .await?;
        Ok(written)
    }

    /// Waits until both keys' writes reached their replicas (in parallel: they are usually on
    /// two shards).
    async fn both_replicated(&self, first: &str, second: &str) -> StoreResult<()> {
        futures::future::try_join(self.replicated(first), self.replicated(second))
            .await
            .map(|_| ())
    }

    /// Deletes token pointers, each in its own slot. Best effort: one left behind is not
    /// listed by its family, so it is unknown, and it expires.
    async fn drop_pointers<'a>(&self, hashes: impl Iterator<Item = &'a str>) {
        let deletes = hashes.map(|hash| {
            let key = self.key("refresh", hash);
            self.call(|mut c| async move { c.del::<_, ()>(key).await })
        });
        for result in join_all(deletes).await {
            if let Err(error) = result {
                tracing::debug!(target: "frontmcp_auth::store", "a token pointer stays until it expires: {error}");
            }
        }
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
            let ttl = self.ttl_ms(family.expires_at);
            let pointer = format!("{}:{}", family.generation, family.id);
            let pointer_key = self.put_pointer(&token_hash, pointer, ttl).await?;
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
            fields.push(("tokens", token_hash.into_bytes()));
            self.put_hash(&key, &fields, ttl, true).await?;
            self.both_replicated(&pointer_key, &key).await
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
            let Some((family, tokens)) = self.load_family_tokens(family_id).await? else {
                return Ok(None);
            };
            // Trusted only while the family lists the token.
            if !tokens.split(' ').any(|hash| hash == token_hash) {
                return Ok(None);
            }
            Ok(Some(FamilyLookup { family, generation }))
        })
    }

    fn family<'a>(
        &'a self,
        family_id: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<RefreshFamily>>> {
        Box::pin(async move {
            Ok(self
                .load_family_tokens(family_id)
                .await?
                .map(|(family, _)| family))
        })
    }

    fn rotate_family(&self, rotation: Rotation) -> BoxFuture<'_, StoreResult<bool>> {
        Box::pin(async move {
            let key = self.key("family", &rotation.family_id);
            let ttl = self.ttl_ms(rotation.expires_at);
            let now = self.clock.now();
            let pointer = format!("{}:{}", rotation.from_generation + 1, rotation.family_id);
            let pointer_key = self.key("refresh", &rotation.new_token_hash);
            let mut invocation = scripts().rotate.prepare_invoke();
            invocation.key(&key);
            if self.cluster {
                // Its own slot: written first, trusted once the family lists it.
                self.put_pointer(&rotation.new_token_hash, pointer.clone(), ttl)
                    .await?;
            } else {
                invocation.key(&pointer_key);
            }
            invocation
                .arg(rotation.from_generation)
                .arg(rotation.expires_at)
                .arg(rotation.rotated_at)
                .arg(rotation.replay)
                .arg(ttl)
                .arg(now)
                .arg(&rotation.new_token_hash)
                .arg(KEPT_TOKEN_GENERATIONS)
                .arg(pointer)
                .arg(self.key("refresh", ""));
            let outcome: Vec<String> = self
                .call(|mut c| async move { invocation.invoke_async(&mut c).await })
                .await?;
            let rotated = outcome.first().is_some_and(|o| o == "1");
            if !self.cluster {
                return Ok(rotated);
            }
            if rotated {
                self.both_replicated(&pointer_key, &key).await?;
                self.drop_pointers(outcome[1..].iter().map(String::as_str))
                    .await;
            } else {
                self.drop_pointers(std::iter::once(rotation.new_token_hash.as_str()))
                    .await;
            }
            Ok(rotated)
        })
    }

    fn revoke_family<'a>(&'a self, family_id: &'a str) -> BoxFuture<'a, StoreResult<()>> {
        Box::pin(async move {
            let key = self.key("family", family_id);
            let family = key.clone();
            let tokens: String = self
                .call(|mut c| async move { scripts().revoke.key(key).invoke_async(&mut c).await })
                .await?;
            self.replicated(&family).await?;
            self.drop_pointers(tokens.split_whitespace()).await;
            // Counted after the family is gone: a failure here is a 503 the caller retries,
            // and the retry counts it.
            let count = self.revocations_key();
            let counted = count.clone();
            self.call(|mut c| async move { c.incr::<_, _, ()>(count, 1).await })
                .await?;
            self.replicated(&counted).await
        })
    }
}
