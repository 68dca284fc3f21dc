//! Storage of the authorization server's state: clients, pending authorizations, codes and
//! refresh-token families.
//!
//! A few small traits, each operation atomic where the protocol needs it: a code is redeemed
//! exactly once, a refresh family rotates exactly once per generation (compare-and-swap), a
//! family is revoked as a whole. Every record carries its expiry. Codes, refresh tokens and
//! client secrets are stored as hashes ([`crate::oauth::secrets::digest`]).

mod memory;
mod records;

use futures::future::BoxFuture;

pub use memory::MemoryStore;
pub use records::{
    ClientAuthMethod, ClientRecord, ClientSource, CodeGrant, CodeRedemption, FamilyLookup, Grant,
    PendingAuthorization, RefreshFamily, Rotation,
};

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
    /// The client with this id, if registered.
    fn client<'a>(&'a self, client_id: &'a str)
    -> BoxFuture<'a, StoreResult<Option<ClientRecord>>>;

    /// Registers `client`, unless `max` dynamically registered clients exist already.
    fn register_client(&self, client: ClientRecord, max: u64) -> BoxFuture<'_, StoreResult<()>>;
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

/// Refresh-token families: one per authorization, rotated on every use.
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

    /// Revokes the family: none of its tokens refresh again.
    fn revoke_family<'a>(&'a self, family_id: &'a str) -> BoxFuture<'a, StoreResult<()>>;
}

/// Everything the authorization server stores.
pub trait Store: ClientStore + GrantStore + FamilyStore {}

impl<T: ClientStore + GrantStore + FamilyStore> Store for T {}
