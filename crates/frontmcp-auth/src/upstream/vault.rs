//! The upstream-token vault of remote mode and of federation: each session's upstream tokens,
//! one entry per provider, sealed with AES-256-GCM under the vault key and bound to the session
//! id and provider, in the configured store. Remote mode's provider is kept under the session
//! id itself; a federated provider under `{session id}~{provider}`.
//!
//! Tools read a fresh access token through [`Vault::token`]. A token within `skew_seconds` of
//! expiry is refreshed once: concurrent callers in the process wait on one lock per session,
//! and other instances on the store's shared lock (they then read what the refresher wrote).
//! Opened entries are cached in the process until they need refreshing, so a tool's read costs
//! no storage round trip; the guard's session check (stateful mode) still runs on every call,
//! so a revoked session's cached token is never reached.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::client::{TokenSet, UpstreamClient, UpstreamError};
use crate::audit::{self, Event};
use crate::clock::Clock;
use crate::secrets::{open_for, random_id, seal_for};
use crate::store::{Store, StoreError};

/// Entries kept opened in the process at most; beyond it the cache is emptied and refilled.
const MAX_CACHED: usize = 10_000;
/// Seconds another instance's refresh is waited for.
const WAIT_FOR_PEER: Duration = Duration::from_secs(10);
/// Seconds the shared refresh lock lives at most.
const LOCK_TTL: u64 = 30;
/// The sealing purpose (part of the key derivation).
const PURPOSE: &str = "upstream vault";

/// One session's upstream sign-in, as sealed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultEntry {
    /// Our subject.
    pub subject: String,
    /// Our client.
    pub client_id: String,
    /// The provider id.
    pub provider: String,
    /// The upstream tokens.
    pub tokens: TokenSet,
    /// Until when the store keeps it (the session's end).
    #[serde(default)]
    pub keep_until: u64,
}

impl std::fmt::Debug for VaultEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultEntry")
            .field("subject", &self.subject)
            .field("client_id", &self.client_id)
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

/// A fresh upstream access token for a tool.
#[derive(Clone, PartialEq, Eq)]
pub struct UpstreamToken {
    /// The provider id.
    pub provider: String,
    /// The access token, to send as `Authorization: Bearer ...` to the provider's API.
    pub access_token: String,
    /// The token type.
    pub token_type: String,
    /// When it expires (`None`: the provider gave no expiry).
    pub expires_at: Option<u64>,
    /// The scopes granted upstream, space separated.
    pub scope: Option<String>,
}

impl std::fmt::Debug for UpstreamToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamToken")
            .field("provider", &self.provider)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The vault.
pub struct Vault {
    store: Arc<dyn Store>,
    key: String,
    clients: Vec<Arc<UpstreamClient>>,
    primary: Option<String>,
    clock: Clock,
    skew: u64,
    cache: std::sync::Mutex<HashMap<String, Arc<VaultEntry>>>,
    flights: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    refreshes: AtomicU64,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("skew", &self.skew)
            .finish_non_exhaustive()
    }
}

fn carried_context(subject: &str, client_id: &str) -> Vec<u8> {
    format!("grant:{}:{subject}:{client_id}", subject.len()).into_bytes()
}

fn context(slot: &str) -> Vec<u8> {
    format!("session:{slot}").into_bytes()
}

/// What a carried blob holds: one sign-in's entries (remote mode: one; federation: one per
/// linked provider).
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Carried {
    Many(Vec<VaultEntry>),
    One(VaultEntry),
}

impl Vault {
    /// A vault sealing with `key` in `store` the tokens of `clients`' providers; tokens within
    /// `skew` seconds of expiry refresh. `primary` is remote mode's provider (kept under the
    /// session id; its refusal to refresh ends the session); `None` for federation.
    pub fn new(
        store: Arc<dyn Store>,
        key: String,
        clients: Vec<Arc<UpstreamClient>>,
        primary: Option<String>,
        clock: Clock,
        skew: u64,
    ) -> Self {
        Self {
            store,
            key,
            clients,
            primary,
            clock,
            skew,
            cache: std::sync::Mutex::new(HashMap::new()),
            flights: std::sync::Mutex::new(HashMap::new()),
            refreshes: AtomicU64::new(0),
        }
    }

    /// The client of provider `provider`.
    pub fn client(&self, provider: &str) -> Option<&Arc<UpstreamClient>> {
        self.clients.iter().find(|c| c.settings().id == provider)
    }

    /// The ids of the providers whose tokens this vault keeps.
    pub fn providers(&self) -> impl Iterator<Item = &str> {
        self.clients.iter().map(|c| c.settings().id.as_str())
    }

    /// Where provider `provider`'s entry of session `session_id` is kept.
    fn slot(&self, session_id: &str, provider: &str) -> String {
        if self.primary.as_deref() == Some(provider) {
            session_id.to_owned()
        } else {
            format!("{session_id}~{provider}")
        }
    }

    /// How many upstream refreshes this process made.
    pub fn refresh_count(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }

    /// Seals `entry` for carrying in a pending authorization and its code, bound to its user
    /// and client.
    pub fn seal_carried(&self, entry: &VaultEntry) -> Option<String> {
        self.seal_all(std::slice::from_ref(entry))
    }

    /// Seals `entries` (one sign-in's, all of one user at one client) for carrying.
    pub fn seal_all(&self, entries: &[VaultEntry]) -> Option<String> {
        let first = entries.first()?;
        if entries
            .iter()
            .any(|e| e.subject != first.subject || e.client_id != first.client_id)
        {
            return None;
        }
        let plain = serde_json::to_vec(entries).ok()?;
        let context = carried_context(&first.subject, &first.client_id);
        let sealed = seal_for(PURPOSE, &self.key, &context, &plain)?;
        Some(base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            sealed,
        ))
    }

    /// Opens what [`Self::seal_carried`] or [`Self::seal_all`] sealed for `subject` at
    /// `client_id`: every entry, or `None` when one is another user's.
    pub fn open_carried(
        &self,
        sealed: &str,
        subject: &str,
        client_id: &str,
    ) -> Option<Vec<VaultEntry>> {
        let bytes =
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, sealed)
                .ok()?;
        let context = carried_context(subject, client_id);
        let plain = open_for(PURPOSE, &self.key, &context, &bytes)?;
        let entries = match serde_json::from_slice::<Carried>(&plain).ok()? {
            Carried::Many(entries) => entries,
            Carried::One(entry) => vec![entry],
        };
        entries
            .iter()
            .all(|e| e.subject == subject && e.client_id == client_id)
            .then_some(entries)
    }

    /// Stores `entry` as session `session_id`'s entry of its provider, until
    /// `entry.keep_until`.
    ///
    /// # Errors
    ///
    /// When the store fails.
    pub async fn put(&self, session_id: &str, entry: VaultEntry) -> Result<(), StoreError> {
        let slot = self.slot(session_id, &entry.provider);
        self.put_slot(&slot, entry).await
    }

    async fn put_slot(&self, slot: &str, entry: VaultEntry) -> Result<(), StoreError> {
        let plain = serde_json::to_vec(&entry)
            .map_err(|e| StoreError::Unavailable(format!("cannot serialize: {e}")))?;
        let sealed = seal_for(PURPOSE, &self.key, &context(slot), &plain)
            .ok_or_else(|| StoreError::Unavailable(String::from("cannot seal")))?;
        let keep_until = entry.keep_until;
        self.store
            .put_vault(slot.to_owned(), sealed, keep_until)
            .await?;
        self.cache_entry(slot, entry);
        Ok(())
    }

    /// The opened entry kept in `slot`, from the store.
    async fn read(&self, slot: &str) -> Result<Option<VaultEntry>, UpstreamError> {
        let sealed = self
            .store
            .vault(slot)
            .await
            .map_err(|e| UpstreamError::Unreachable(e.to_string()))?;
        Ok(sealed.and_then(|bytes| {
            let plain = open_for(PURPOSE, &self.key, &context(slot), &bytes)?;
            serde_json::from_slice(&plain).ok()
        }))
    }

    /// The providers session `session_id` of `subject` has linked.
    ///
    /// # Errors
    ///
    /// When the store is down.
    pub async fn linked(
        &self,
        session_id: &str,
        subject: &str,
    ) -> Result<Vec<String>, UpstreamError> {
        let mut linked = Vec::new();
        for provider in self.providers() {
            let slot = self.slot(session_id, provider);
            if self
                .read(&slot)
                .await?
                .is_some_and(|e| e.subject == subject)
            {
                linked.push(provider.to_owned());
            }
        }
        Ok(linked)
    }

    fn cache_entry(&self, slot: &str, entry: VaultEntry) {
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= MAX_CACHED && !cache.contains_key(slot) {
                cache.clear();
            }
            cache.insert(slot.to_owned(), Arc::new(entry));
        }
    }

    fn cached(&self, slot: &str) -> Option<Arc<VaultEntry>> {
        self.cache.lock().ok()?.get(slot).cloned()
    }

    fn forget(&self, slot: &str) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.remove(slot);
        }
        if let Ok(mut flights) = self.flights.lock() {
            flights.remove(slot);
        }
    }

    /// Whether the entry's access token must be refreshed before use.
    fn stale(&self, entry: &VaultEntry, now: u64) -> bool {
        entry
            .tokens
            .expires_at
            .is_some_and(|exp| now + self.skew >= exp)
    }

    fn usable(entry: &VaultEntry, now: u64) -> bool {
        entry.tokens.expires_at.is_none_or(|exp| now < exp)
    }

    /// A fresh access token of `provider` for session `session_id` of `subject`.
    ///
    /// # Errors
    ///
    /// [`UpstreamError::UnknownProvider`]; [`UpstreamError::NotLinked`] when a federated
    /// provider is not linked to the session; [`UpstreamError::NoSession`] when remote mode's
    /// session has no entry (or another user's); [`UpstreamError::SessionEnded`] when the
    /// upstream refused remote mode's refresh token; [`UpstreamError::Unreachable`] when the
    /// provider or the store is down and the current token has expired.
    pub async fn token(
        &self,
        session_id: &str,
        subject: &str,
        provider: &str,
    ) -> Result<UpstreamToken, UpstreamError> {
        if self.client(provider).is_none() {
            return Err(UpstreamError::UnknownProvider(provider.to_owned()));
        }
        let slot = self.slot(session_id, provider);
        let now = self.clock.now();
        if let Some(entry) = self.cached(&slot)
            && entry.subject == subject
            && !self.stale(&entry, now)
        {
            return Ok(token_of(&entry));
        }
        let flight = {
            let mut flights = self
                .flights
                .lock()
                .map_err(|_| UpstreamError::Unreachable(String::from("vault lock poisoned")))?;
            if flights.len() >= MAX_CACHED && !flights.contains_key(&slot) {
                flights.retain(|_, lock| Arc::strong_count(lock) > 1);
            }
            flights.entry(slot.clone()).or_default().clone()
        };
        let _one_at_a_time = flight.lock().await;
        let now = self.clock.now();
        if let Some(entry) = self.cached(&slot)
            && entry.subject == subject
            && !self.stale(&entry, now)
        {
            return Ok(token_of(&entry));
        }
        let Some(entry) = self.read(&slot).await?.filter(|e| e.subject == subject) else {
            return Err(self.missing(provider));
        };
        if !self.stale(&entry, now) {
            let token = token_of(&entry);
            self.cache_entry(&slot, entry);
            return Ok(token);
        }
        if entry.tokens.refresh_token.is_none() {
            return if Self::usable(&entry, now) {
                Ok(token_of(&entry))
            } else {
                Err(self.ended(provider))
            };
        }
        self.refresh_shared(&slot, entry).await
    }

    /// The error for a session without an entry of `provider`.
    fn missing(&self, provider: &str) -> UpstreamError {
        if self.primary.as_deref() == Some(provider) {
            UpstreamError::NoSession(String::from("this session holds no upstream tokens"))
        } else {
            UpstreamError::NotLinked {
                provider: provider.to_owned(),
                connect_url: None,
            }
        }
    }

    /// The error for an entry whose tokens can no longer be used: remote mode's session has
    /// ended; a federated provider must be linked again.
    fn ended(&self, provider: &str) -> UpstreamError {
        if self.primary.as_deref() == Some(provider) {
            UpstreamError::SessionEnded
        } else {
            self.missing(provider)
        }
    }

    /// Refreshes under the store's shared lock, or waits for the instance that holds it.
    async fn refresh_shared(
        &self,
        slot: &str,
        entry: VaultEntry,
    ) -> Result<UpstreamToken, UpstreamError> {
        let lock_key = format!("vault-refresh:{slot}");
        let holder = random_id();
        let taken = match self.store.try_lock(&lock_key, &holder, LOCK_TTL) {
            None => true,
            Some(attempt) => attempt
                .await
                .map_err(|e| UpstreamError::Unreachable(e.to_string()))?,
        };
        if !taken {
            return self.wait_for_peer(slot, entry).await;
        }
        let outcome = self.refresh_now(slot, entry).await;
        if let Some(release) = self.store.unlock(&lock_key, &holder)
            && let Err(e) = release.await
        {
            tracing::warn!(target: "frontmcp_auth::upstream", error = %e, "could not release the refresh lock");
        }
        outcome
    }

    async fn refresh_now(
        &self,
        slot: &str,
        mut entry: VaultEntry,
    ) -> Result<UpstreamToken, UpstreamError> {
        // Another instance may have refreshed between our read and the lock.
        if let Some(current) = self.read(slot).await?
            && current.tokens.access_token != entry.tokens.access_token
        {
            let token = token_of(&current);
            self.cache_entry(slot, current);
            return Ok(token);
        }
        let now = self.clock.now();
        let client = self
            .client(&entry.provider)
            .ok_or_else(|| UpstreamError::UnknownProvider(entry.provider.clone()))?;
        match client.refresh(&entry.tokens, now).await {
            Ok(tokens) => {
                self.refreshes.fetch_add(1, Ordering::Relaxed);
                entry.tokens = tokens;
                let token = token_of(&entry);
                audit::record(
                    Event::UpstreamRefresh,
                    Some(&entry.subject),
                    Some(&entry.client_id),
                    &entry.provider,
                );
                self.put_slot(slot, entry)
                    .await
                    .map_err(|e| UpstreamError::Unreachable(e.to_string()))?;
                Ok(token)
            }
            Err(UpstreamError::Refused { error, .. }) if error == "invalid_grant" => {
                self.end_refused(slot, &entry).await;
                Err(self.ended(&entry.provider))
            }
            Err(e) if Self::usable(&entry, now) => {
                tracing::warn!(target: "frontmcp_auth::upstream", error = %e, "upstream refresh failed; the current token is still valid");
                Ok(token_of(&entry))
            }
            Err(e) => Err(e),
        }
    }

    /// Another instance holds the lock: wait until the entry it writes appears.
    async fn wait_for_peer(
        &self,
        slot: &str,
        entry: VaultEntry,
    ) -> Result<UpstreamToken, UpstreamError> {
        let deadline = tokio::time::Instant::now() + WAIT_FOR_PEER;
        while tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(25)).await;
            match self.read(slot).await? {
                None => return Err(self.ended(&entry.provider)),
                Some(current) if current.tokens.access_token != entry.tokens.access_token => {
                    let token = token_of(&current);
                    self.cache_entry(slot, current);
                    return Ok(token);
                }
                Some(_) => {}
            }
        }
        if Self::usable(&entry, self.clock.now()) {
            return Ok(token_of(&entry));
        }
        Err(UpstreamError::Unreachable(String::from(
            "another instance is refreshing the upstream token",
        )))
    }

    /// The upstream refused the refresh token. Remote mode's session ends here, on every
    /// instance; a federated provider is unlinked (the session goes on; the tool can offer to
    /// link it again).
    async fn end_refused(&self, slot: &str, entry: &VaultEntry) {
        audit::record(
            Event::UpstreamSessionEnded,
            Some(&entry.subject),
            Some(&entry.client_id),
            &format!("{} refused the refresh token", entry.provider),
        );
        self.forget(slot);
        if self.primary.as_deref() != Some(entry.provider.as_str()) {
            if let Err(e) = self.store.delete_vault(slot).await {
                tracing::warn!(target: "frontmcp_auth::upstream", error = %e, "could not remove an unlinked provider's entry");
            }
            return;
        }
        for (what, result) in [
            ("family", self.store.revoke_family(slot).await),
            ("session", self.store.delete_session(slot).await),
            ("vault entry", self.store.delete_vault(slot).await),
        ] {
            if let Err(e) = result {
                tracing::warn!(target: "frontmcp_auth::upstream", error = %e, "could not remove the ended session's {what}");
            }
        }
    }

    /// Our session ended (revocation, session limit, reuse): deletes its entries and revokes
    /// each upstream refresh token (else the access token) where the provider allows it.
    pub async fn end(&self, session_id: &str) {
        let providers: Vec<String> = self.providers().map(str::to_owned).collect();
        for provider in providers {
            self.unlink(session_id, &provider).await;
        }
    }

    /// Deletes session `session_id`'s entry of `provider` and revokes its tokens upstream.
    pub async fn unlink(&self, session_id: &str, provider: &str) {
        let slot = self.slot(session_id, provider);
        let entry = self.read(&slot).await.ok().flatten();
        self.forget(&slot);
        if let Err(e) = self.store.delete_vault(&slot).await {
            tracing::warn!(target: "frontmcp_auth::upstream", error = %e, "could not delete a vault entry");
        }
        let Some(entry) = entry else {
            return;
        };
        let Some(client) = self.client(&entry.provider) else {
            return;
        };
        let (token, hint) = match &entry.tokens.refresh_token {
            Some(refresh) => (refresh.as_str(), "refresh_token"),
            None => (entry.tokens.access_token.as_str(), "access_token"),
        };
        match client.revoke(token, hint).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::debug!(target: "frontmcp_auth::upstream", "the provider has no revocation endpoint")
            }
            Err(e) => {
                tracing::warn!(target: "frontmcp_auth::upstream", error = %e, "could not revoke the upstream token")
            }
        }
    }

    /// Keeps a session's entries as long as the session (called when the session is extended).
    pub async fn extend(&self, session_id: &str, keep_until: u64) {
        let providers: Vec<String> = self.providers().map(str::to_owned).collect();
        for provider in providers {
            let slot = self.slot(session_id, &provider);
            if let Ok(Some(mut entry)) = self.read(&slot).await
                && entry.keep_until < keep_until
            {
                entry.keep_until = keep_until;
                if let Err(e) = self.put_slot(&slot, entry).await {
                    tracing::warn!(target: "frontmcp_auth::upstream", error = %e, "could not extend a vault entry");
                }
            }
        }
    }
}

fn token_of(entry: &VaultEntry) -> UpstreamToken {
    UpstreamToken {
        provider: entry.provider.clone(),
        access_token: entry.tokens.access_token.clone(),
        token_type: entry.tokens.token_type.clone(),
        expires_at: entry.tokens.expires_at,
        scope: entry.tokens.scope.clone(),
    }
}
