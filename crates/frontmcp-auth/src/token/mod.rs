//! Access-token keys: HS256, RS256 and ES256 signing keys, the keyring with rotation, and the
//! JWKS that publishes the public keys.

mod der;
mod jwt;
mod key;
mod keyring;

pub use jwt::{checked_header, verified_claims};
pub use key::{KeyError, KeyKind, SigningKey, thumbprint};
pub use keyring::Keyring;
