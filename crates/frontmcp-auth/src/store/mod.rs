//! Storage of the authorization server's state: clients, pending authorizations, codes,
//! refresh-token families, sessions, remembered consent, the upstream-token vault and the
//! users of the built-in password directory.
//!
//! A few small traits, each operation atomic where the protocol needs it, on every backend and
//! across processes: a code is redeemed exactly once, a refresh family rotates exactly once per
//! generation (compare-and-swap), a family is revoked as a whole. Every record carries its
//! expiry, and reads compare it with the injected [`Clock`](crate::clock::Clock), so expiry is
//! exact even where the backend's own TTL is coarser. Codes, refresh tokens and client secrets
//! are stored as hashes ([`crate::secrets::digest`]); vault entries arrive sealed.
//!
//! Backends: `MemoryStore` (development), `SqliteStore` (embedded, survives restarts; the
//! `sqlite` feature) and `RedisStore` (shared by several instances; the `redis` feature).
//! [`open`] builds the configured one, and refuses a backend this build was compiled without.

mod codec;
mod mcp;
mod memory;
mod open;
mod records;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "sqlite")]
mod sqlite;

use futures::future::BoxFuture;

#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::{RedisOptions, RedisStore};
pub use codec::Codec;
pub use mcp::{
    InProcessMcpSessions, MAX_IN_PROCESS_MCP_SESSIONS, MCP_EVENT_TTL, MCP_EVENTS_PER_STREAM,
    MCP_SESSION_IDLE, MCP_SESSIONS_PER_OWNER, McpSessionRecord, McpSessionStore,
};
pub use memory::{MAX_CODES_PER_SUBJECT, MemoryLimits, MemoryStore};
pub use open::{open, spawn_sweeper};
pub use records::{
    AppChoice, ClientAuthMethod, ClientRecord, ClientSource, CodeGrant, CodeRedemption,
    ConnectRequest, ConsentRecord, FamilyLookup, FederatedSession, Grant, Identity, LinkedProvider,
    PendingAuthorization, RefreshFamily, Rotation, SessionRecord, UpstreamRequest, UserRecord,
};
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use sqlite::{SqliteOptions, SqliteStore};

/// The one error every backend reports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The backend cannot be reached or failed; the request may be retried later.
    #[error("token storage is unavailable: {0}")]
    Unavailable(String),
    /// A bound on the number of records was reached.
    #[error("limit reached: {0}")]
    LimitReached(String),
}

/// Results of store operations.
pub type StoreResult<T> = Result<T, StoreError>;

/// Registered OAuth clients.
pub trait ClientStore: Send + Sync {
    /// The client with this id, if registered and not expired ([`ClientRecord::is_live`]).
    fn client<'a>(&'a self, client_id: &'a str)
    -> BoxFuture<'a, StoreResult<Option<ClientRecord>>>;

    /// Registers `client` (or replaces the client of the same id), unless `max` live
    /// dynamically registered clients exist already; expired ones do not count, and go.
    fn register_client(&self, client: ClientRecord, max: u64) -> BoxFuture<'_, StoreResult<()>>;

    /// Moves the expiry of `client` (as it was read) to `keep_until`; nothing when it is gone
    /// or its expiry moved meanwhile, so a removed client never comes back.
    fn touch_client<'a>(
        &'a self,
        client: &'a ClientRecord,
        keep_until: u64,
    ) -> BoxFuture<'a, StoreResult<()>>;

    /// Removes a client; `true` when one was there. The revocation count moves, so every
    /// instance checks its sessions again (a session of a removed client ends).
    fn delete_client<'a>(&'a self, client_id: &'a str) -> BoxFuture<'a, StoreResult<bool>>;
}

/// Pending authorizations (login page to callback) and authorization codes.
pub trait GrantStore: Send + Sync {
    /// Stores a pending authorization until `keep_until`.
    fn put_pending(
        &self,
        pending: PendingAuthorization,
        keep_until: u64,
    ) -> BoxFuture<'_, StoreResult<()>>;

    /// The pending authorization with this id, without consuming it.
    fn pending<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<PendingAuthorization>>>;

    /// Removes and returns the pending authorization: exactly one caller gets it.
    fn take_pending<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<PendingAuthorization>>>;

    /// Stores a code grant under the code's hash until `keep_until` (kept past its expiry so
    /// that a replay is recognised as one).
    fn put_code(
        &self,
        code_hash: String,
        grant: CodeGrant,
        keep_until: u64,
    ) -> BoxFuture<'_, StoreResult<()>>;

    /// Redeems a code: the first caller gets the grant, every later one learns which family
    /// the first redemption started.
    fn redeem_code<'a>(
        &'a self,
        code_hash: &'a str,
        family_id: &'a str,
    ) -> BoxFuture<'a, StoreResult<CodeRedemption>>;
}

/// How many refresh-token hashes a family keeps: the current one and the previous ones that
/// reuse detection recognises. A token older than these is unknown (`invalid_grant`, as an
/// expired one), so a family's stored size stays the same however often it rotates.
pub const KEPT_TOKEN_GENERATIONS: u64 = 8;

/// Refresh-token families: one per authorization, rotated on every use. A family keeps the
/// hashes of its last [`KEPT_TOKEN_GENERATIONS`] tokens; a revoked family is removed with them.
pub trait FamilyStore: Send + Sync {
    /// Stores a new family whose current token has `token_hash`.
    fn create_family(
        &self,
        family: RefreshFamily,
        token_hash: String,
    ) -> BoxFuture<'_, StoreResult<()>>;

    /// The family a refresh token (by hash) belongs to, and which generation the token is.
    fn family_by_token<'a>(
        &'a self,
        token_hash: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<FamilyLookup>>>;

    /// The family with this id.
    fn family<'a>(
        &'a self,
        family_id: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<RefreshFamily>>>;

    /// Moves the family from generation `rotation.from_generation` to the next one, atomically:
    /// `false` when another caller rotated it first or it is revoked.
    fn rotate_family(&self, rotation: Rotation) -> BoxFuture<'_, StoreResult<bool>>;

    /// Revokes the family: it is removed with its token hashes, so none of its tokens refresh
    /// again and nothing of it stays stored.
    fn revoke_family<'a>(&'a self, family_id: &'a str) -> BoxFuture<'a, StoreResult<()>>;
}

/// Sessions: a user's login at a client.
pub trait SessionStore: Send + Sync {
    /// Stores (or replaces) a session until its `expires_at`.
    fn put_session(&self, session: SessionRecord) -> BoxFuture<'_, StoreResult<()>>;

    /// The session with this id, while it lasts.
    fn session<'a>(&'a self, id: &'a str) -> BoxFuture<'a, StoreResult<Option<SessionRecord>>>;

    /// Every live session of a user, oldest first.
    fn sessions_of<'a>(
        &'a self,
        subject: &'a str,
    ) -> BoxFuture<'a, StoreResult<Vec<SessionRecord>>>;

    /// Ends a session.
    fn delete_session<'a>(&'a self, id: &'a str) -> BoxFuture<'a, StoreResult<()>>;
}

/// Remembered consent, one record per user and client.
pub trait ConsentStore: Send + Sync {
    /// The user's remembered choice for this client.
    fn consent<'a>(
        &'a self,
        subject: &'a str,
        client_id: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<ConsentRecord>>>;

    /// Remembers a choice until `keep_until`, replacing an earlier one.
    fn put_consent(
        &self,
        consent: ConsentRecord,
        keep_until: u64,
    ) -> BoxFuture<'_, StoreResult<()>>;
}

/// The upstream-token vault: one sealed entry per session. The store never sees plaintext:
/// callers seal with [`crate::secrets::seal`] before writing.
pub trait VaultStore: Send + Sync {
    /// Stores the sealed entry of a session until `keep_until`.
    fn put_vault(
        &self,
        session_id: String,
        sealed: Vec<u8>,
        keep_until: u64,
    ) -> BoxFuture<'_, StoreResult<()>>;

    /// The sealed entry of a session.
    fn vault<'a>(&'a self, session_id: &'a str) -> BoxFuture<'a, StoreResult<Option<Vec<u8>>>>;

    /// Removes the entry of a session.
    fn delete_vault<'a>(&'a self, session_id: &'a str) -> BoxFuture<'a, StoreResult<()>>;
}

/// The most users one store holds (the directory is operator-managed; this bounds a mistake).
pub const MAX_USERS: usize = 100_000;

/// Users of the built-in password directory and the passkeys of any user. Records do not
/// expire: an operator adds and removes them (`frontmcp-auth users`).
pub trait UserStore: Send + Sync {
    /// The user with this (lower-case) username.
    fn user<'a>(&'a self, username: &'a str) -> BoxFuture<'a, StoreResult<Option<UserRecord>>>;

    /// Adds or replaces a user; [`StoreError::LimitReached`] past [`MAX_USERS`].
    fn put_user(&self, user: UserRecord) -> BoxFuture<'_, StoreResult<()>>;

    /// Removes a user; `true` when one was there.
    fn delete_user<'a>(&'a self, username: &'a str) -> BoxFuture<'a, StoreResult<bool>>;

    /// Up to `limit` users, by username.
    fn list_users(&self, limit: usize) -> BoxFuture<'_, StoreResult<Vec<UserRecord>>>;

    /// Whether there is any user, without reading them (asked on every authorize request).
    fn has_users(&self) -> BoxFuture<'_, StoreResult<bool>>;
}

/// Upkeep every backend offers.
pub trait Maintenance: Send + Sync {
    /// Deletes every expired record; returns how many went.
    fn sweep_expired(&self) -> BoxFuture<'_, StoreResult<u64>>;

    /// The backend's name, as configured: `memory`, `sqlite` or `redis`.
    fn backend(&self) -> &'static str;

    /// Counts one hit on the shared counter `key`, which expires `ttl` seconds after its first
    /// hit; `None` when the backend is not shared between instances (counters then stay in
    /// the process). Rate limits use it.
    fn hit<'a>(&'a self, key: &'a str, ttl: u64) -> Option<BoxFuture<'a, StoreResult<u64>>> {
        let _ = (key, ttl);
        None
    }

    /// A count that changes whenever a refresh family is revoked, on every instance that shares
    /// this store; `None` when the backend keeps none. The guard trusts a session it found live
    /// only while this count stays the same (`verify::SessionChecks`), so a revocation is
    /// refused on the next call everywhere.
    fn revocations(&self) -> Option<BoxFuture<'_, StoreResult<u64>>> {
        None
    }

    /// The current count of the shared counter `key` (0 when absent); `None` when counters
    /// are not shared, as for [`Maintenance::hit`]. Login backoff reads it before a check.
    fn peek<'a>(&'a self, key: &'a str) -> Option<BoxFuture<'a, StoreResult<u64>>> {
        let _ = key;
        None
    }

    /// Takes the shared lock `key` for `holder` for at most `ttl` seconds: `true` when taken,
    /// `false` when another holder has it; `None` when the backend is not shared between
    /// instances (a lock in the process is then enough). The upstream refresh uses it.
    fn try_lock<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: u64,
    ) -> Option<BoxFuture<'a, StoreResult<bool>>> {
        let _ = (key, holder, ttl);
        None
    }

    /// Releases the shared lock `key` if `holder` still has it.
    fn unlock<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
    ) -> Option<BoxFuture<'a, StoreResult<()>>> {
        let _ = (key, holder);
        None
    }

    /// Where MCP sessions are kept when this store is shared between instances (Redis), so
    /// that any instance serves any session; `None` for a store one instance alone uses (the
    /// sessions then stay in the process).
    fn mcp_sessions(&self) -> Option<&dyn McpSessionStore> {
        None
    }

    /// Checks that the backend answers (used once at start-up).
    fn ping(&self) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(std::future::ready(Ok(())))
    }
}

/// Everything the server stores.
pub trait Store:
    ClientStore
    + GrantStore
    + FamilyStore
    + SessionStore
    + ConsentStore
    + VaultStore
    + UserStore
    + Maintenance
{
}

impl<T> Store for T where
    T: ClientStore
        + GrantStore
        + FamilyStore
        + SessionStore
        + ConsentStore
        + VaultStore
        + UserStore
        + Maintenance
{
}
