//! Upstream identity providers: verifying their tokens (transparent mode).

mod fetch;
mod jwks;
mod transparent;

pub use fetch::{FetchError, HttpFetcher};
pub use jwks::{JwksCache, JwksOptions, JwksSource, VerifyKey, keys_from_jwks, metadata_urls};
pub use transparent::TransparentVerifier;
