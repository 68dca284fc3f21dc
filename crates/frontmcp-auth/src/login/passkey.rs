//! Passkeys (WebAuthn, through `webauthn-rs`): after a verified sign-in a user may register a
//! passkey; later the user signs in with it by username. The relying party id is the host of
//! `http.public_url` and its origin the only accepted one. Credentials (public keys and
//! counters) are kept in the token storage's user record; the ceremony state lives on the
//! pending authorization, so any instance can finish what another started.
//!
//! The ceremonies need the `passkeys` feature (on by default); without it `login.passkeys = true`
//! stops start-up with `feature_not_compiled`.

#[cfg(not(feature = "passkeys"))]
mod disabled;
#[cfg(feature = "passkeys")]
mod webauthn;

#[cfg(not(feature = "passkeys"))]
pub use disabled::Passkeys;
#[cfg(feature = "passkeys")]
pub use webauthn::Passkeys;

/// The most passkeys one user may register.
pub const MAX_PASSKEYS_PER_USER: usize = 10;
/// The longest credential JSON a browser may post.
pub const MAX_CREDENTIAL_BYTES: usize = 16 * 1024;

/// Why a passkey ceremony failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasskeyError {
    /// The browser's answer does not verify (wrong origin, challenge, signature, ...).
    #[error("the passkey could not be verified")]
    Rejected,
    /// The user has no passkey, or the credential is not one of theirs.
    #[error("no passkey is registered for that account")]
    Unknown,
    /// Too many passkeys already.
    #[error("this account has the most passkeys allowed ({MAX_PASSKEYS_PER_USER})")]
    TooMany,
    /// Storage failed.
    #[error("passkey storage is unavailable: {0}")]
    Unavailable(String),
}
