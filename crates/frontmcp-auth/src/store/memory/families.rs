//! Refresh families in memory, kept compact: a million live families must fit in well under a
//! gigabyte.
//!
//! - A family's grant is written once, as a JSON array (no field names), beside the fields a
//!   rotation changes.
//! - Ids are shared: the family id is one `Arc<str>` for the families table, every token of the
//!   family, and the session of the same id.
//! - Refresh-token hashes are keyed by their 32 bytes, not by their text.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::future::BoxFuture;

use super::{FamilyLookup, FamilyStore, MemoryStore, RefreshFamily, Rotation, StoreResult, ready};
use crate::store::{Grant, KEPT_TOKEN_GENERATIONS, StoreError};

/// A family as kept in memory.
pub(super) struct FamilyEntry {
    /// The grant, encoded by [`encode_grant`].
    grant: Box<[u8]>,
    pub(super) generation: u64,
    pub(super) expires_at: u64,
    rotated_at: u64,
    replay: Option<Box<[u8]>>,
    revoked: bool,
    /// The keys of the refresh-token hashes kept for reuse detection, oldest first: at most
    /// [`KEPT_TOKEN_GENERATIONS`], the current one last.
    hashes: Box<[TokenKey]>,
}

impl std::fmt::Debug for FamilyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The grant as the text it is, so a dump of the store shows what it holds.
        f.debug_struct("FamilyEntry")
            .field("grant", &String::from_utf8_lossy(&self.grant))
            .field("generation", &self.generation)
            .field("expires_at", &self.expires_at)
            .field("rotated_at", &self.rotated_at)
            .field("replay", &self.replay.as_ref().map(|r| r.len()))
            .field("revoked", &self.revoked)
            .field("hashes", &self.hashes.len())
            .finish()
    }
}

/// The key of a refresh-token hash: the 32 bytes a [`crate::secrets::digest`] encodes, or (for
/// any other text) the SHA-256 of the text, so every hash has one key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct TokenKey([u8; 32]);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // As the digest's text.
        f.write_str(&URL_SAFE_NO_PAD.encode(self.0))
    }
}

pub(super) fn token_key(hash: &str) -> TokenKey {
    let mut key = [0u8; 32];
    match URL_SAFE_NO_PAD.decode(hash) {
        Ok(bytes) if bytes.len() == 32 => key.copy_from_slice(&bytes),
        _ => key.copy_from_slice(
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, hash.as_bytes()).as_ref(),
        ),
    }
    TokenKey(key)
}

/// The grant's fields in order, borrowed for encoding.
type GrantFields<'a> = (
    &'a str,
    &'a str,
    &'a Option<String>,
    &'a Option<String>,
    &'a [String],
    &'a str,
    &'a str,
    u64,
    &'a Option<Vec<String>>,
    &'a Option<Vec<String>>,
    &'a Option<Vec<String>>,
    &'a BTreeMap<String, serde_json::Value>,
);

/// The grant's fields in order, owned for decoding.
type OwnedGrantFields = (
    String,
    String,
    Option<String>,
    Option<String>,
    Vec<String>,
    String,
    String,
    u64,
    Option<Vec<String>>,
    Option<Vec<String>>,
    Option<Vec<String>>,
    BTreeMap<String, serde_json::Value>,
);

fn encode_grant(grant: &Grant) -> StoreResult<Box<[u8]>> {
    let fields: GrantFields<'_> = (
        &grant.client_id,
        &grant.subject,
        &grant.email,
        &grant.name,
        &grant.scope,
        &grant.resource,
        &grant.issuer,
        grant.auth_time,
        &grant.consent,
        &grant.authorized_apps,
        &grant.skipped_apps,
        &grant.claims,
    );
    serde_json::to_vec(&fields)
        .map(Vec::into_boxed_slice)
        .map_err(|e| StoreError::Unavailable(format!("cannot encode a grant: {e}")))
}

fn decode_grant(bytes: &[u8]) -> StoreResult<Grant> {
    let (
        client_id,
        subject,
        email,
        name,
        scope,
        resource,
        issuer,
        auth_time,
        consent,
        authorized_apps,
        skipped_apps,
        claims,
    ): OwnedGrantFields = serde_json::from_slice(bytes)
        .map_err(|e| StoreError::Unavailable(format!("a kept grant is unreadable: {e}")))?;
    Ok(Grant {
        client_id,
        subject,
        email,
        name,
        scope,
        resource,
        issuer,
        auth_time,
        consent,
        authorized_apps,
        skipped_apps,
        claims,
    })
}

impl FamilyEntry {
    fn new(family: &RefreshFamily, first: TokenKey) -> StoreResult<Self> {
        Ok(Self {
            hashes: Box::new([first]),
            grant: encode_grant(&family.grant)?,
            generation: family.generation,
            expires_at: family.expires_at,
            rotated_at: family.rotated_at,
            replay: family.replay.clone().map(Vec::into_boxed_slice),
            revoked: family.revoked,
        })
    }

    fn family(&self, id: &str) -> StoreResult<RefreshFamily> {
        Ok(RefreshFamily {
            id: id.to_owned(),
            grant: decode_grant(&self.grant)?,
            generation: self.generation,
            expires_at: self.expires_at,
            rotated_at: self.rotated_at,
            replay: self.replay.as_deref().map(<[u8]>::to_vec),
            revoked: self.revoked,
        })
    }
}

impl FamilyStore for MemoryStore {
    fn create_family(
        &self,
        family: RefreshFamily,
        token_hash: String,
    ) -> BoxFuture<'_, StoreResult<()>> {
        let key = token_key(&token_hash);
        let entry = match FamilyEntry::new(&family, key) {
            Ok(entry) => entry,
            Err(error) => return ready(Err(error)),
        };
        ready(self.write(|state, _| {
            let id: Arc<str> = Arc::from(family.id);
            state.tokens.insert(key, (id.clone(), entry.generation));
            if let Some(replaced) = state.families.insert(id, Box::new(entry)) {
                for old in replaced.hashes.iter().filter(|old| **old != key) {
                    state.tokens.remove(old);
                }
            }
        }))
    }

    fn family_by_token<'a>(
        &'a self,
        token_hash: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<FamilyLookup>>> {
        let key = token_key(token_hash);
        ready(
            self.with(|state, now| {
                let Some((id, generation)) = state.tokens.get(&key) else {
                    return Ok(None);
                };
                let Some(entry) = state.families.get(id).filter(|f| f.expires_at > now) else {
                    return Ok(None);
                };
                Ok(Some(FamilyLookup {
                    family: entry.family(id)?,
                    generation: *generation,
                }))
            })
            .and_then(|found| found),
        )
    }

    fn family<'a>(
        &'a self,
        family_id: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<RefreshFamily>>> {
        ready(
            self.with(|state, now| {
                state
                    .families
                    .get(family_id)
                    .filter(|f| f.expires_at > now)
                    .map(|f| f.family(family_id))
                    .transpose()
            })
            .and_then(|found| found),
        )
    }

    fn rotate_family(&self, rotation: Rotation) -> BoxFuture<'_, StoreResult<bool>> {
        let key = token_key(&rotation.new_token_hash);
        ready(self.write(|state, now| {
            let Some((id, _)) = state.families.get_key_value(rotation.family_id.as_str()) else {
                return false;
            };
            let id = id.clone();
            let Some(family) = state.families.get_mut(&id) else {
                return false;
            };
            if family.revoked
                || family.expires_at <= now
                || family.generation != rotation.from_generation
            {
                return false;
            }
            family.generation += 1;
            family.expires_at = rotation.expires_at;
            family.rotated_at = rotation.rotated_at;
            family.replay = Some(rotation.replay.into_boxed_slice());
            let generation = family.generation;
            // Keep the newest hashes only: an older token is then unknown, not reuse.
            let kept = usize::try_from(KEPT_TOKEN_GENERATIONS).unwrap_or(usize::MAX);
            let drop = (family.hashes.len() + 1).saturating_sub(kept);
            let dropped: Vec<TokenKey> = family.hashes[..drop].to_vec();
            family.hashes = family.hashes[drop..]
                .iter()
                .copied()
                .chain(std::iter::once(key))
                .collect();
            for old in dropped {
                state.tokens.remove(&old);
            }
            state.tokens.insert(key, (id, generation));
            true
        }))
    }

    fn revoke_family<'a>(&'a self, family_id: &'a str) -> BoxFuture<'a, StoreResult<()>> {
        // A revoked family is gone with its token hashes: nothing of it is read again.
        let revoked = self.update(|state, _| {
            if let Some(family) = state.families.remove(family_id) {
                for old in family.hashes.iter() {
                    state.tokens.remove(old);
                }
            }
        });
        self.revocations
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        ready(revoked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_keys_by_its_bytes_and_any_other_text_by_its_hash() {
        let hash = crate::secrets::digest("a refresh token");
        assert_eq!(
            URL_SAFE_NO_PAD.encode(token_key(&hash).0),
            hash,
            "the digest's own bytes"
        );
        assert_eq!(
            format!("{:?}", token_key(&hash)),
            hash,
            "shown as the digest"
        );
        assert_eq!(token_key("not a digest"), token_key("not a digest"));
        assert_ne!(token_key("not a digest"), token_key("not a digest!"));
    }

    #[test]
    fn a_grant_survives_its_compact_form() {
        let grant = Grant {
            client_id: "c".into(),
            subject: "s".into(),
            email: Some("e@example.com".into()),
            name: None,
            scope: vec!["profile".into()],
            resource: "http://127.0.0.1/mcp".into(),
            issuer: "http://127.0.0.1".into(),
            auth_time: 7,
            consent: Some(vec!["add".into()]),
            authorized_apps: None,
            skipped_apps: Some(vec![]),
            claims: BTreeMap::from([("tenant".to_owned(), serde_json::json!("t1"))]),
        };
        let encoded = encode_grant(&grant).expect("encodes");
        assert!(
            !String::from_utf8_lossy(&encoded).contains("client_id"),
            "no field names"
        );
        assert_eq!(decode_grant(&encoded).expect("decodes"), grant);
    }
}
