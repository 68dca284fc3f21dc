//! Access-token keys: HS256, RS256 and ES256 signing keys, the keyring with rotation, and the
//! JWKS that publishes the public keys.

mod der;
mod key;
mod keyring;

pub use key::{KeyError, KeyKind, SigningKey, thumbprint};
pub use keyring::Keyring;
