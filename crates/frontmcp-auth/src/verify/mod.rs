//! The token-verification contract, below both the guard and the authorization server: a
//! [`TokenVerifier`] turns a bearer token into an [`AuthContext`] or a [`Rejection`].
//!
//! Local mode's verifier lives in [`crate::oauth`], transparent and remote mode's in
//! [`crate::upstream`]; the [`crate::guard`] calls whichever the mode configures, and a server
//! may bring its own ([`crate::ServerDefinition::verifier`]).

mod cache;
mod context;
mod rejection;

use futures::future::BoxFuture;

pub use cache::{DEFAULT_CAPACITY, SESSION_TRUST_SECONDS, SessionChecks, VerifiedTokens};
pub use context::{AuthContext, ConnectLinks, UpstreamAccess, scopes_of};
pub use rejection::{Rejection, quote};

/// Verifies bearer tokens.
pub trait TokenVerifier: Send + Sync + 'static {
    /// Verifies `token`; on success, who is calling.
    ///
    /// Implementations answer every bad token with [`Rejection::InvalidToken`], never a panic.
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<AuthContext, Rejection>>;

    /// Verifies `token` sent to the server at `base` (scheme, host and port of the request),
    /// for verifiers whose issuer and audience follow the request. Default: [`Self::verify`].
    fn verify_at<'a>(
        &'a self,
        token: &'a str,
        base: &'a str,
    ) -> BoxFuture<'a, Result<AuthContext, Rejection>> {
        let _ = base;
        self.verify(token)
    }
}
