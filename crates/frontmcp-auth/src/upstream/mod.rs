//! Upstream identity providers: verifying their tokens (transparent mode), and signing users
//! in at them (remote mode) or linking them to a local user's session (federation), with their
//! tokens sealed in the vault.

mod client;
mod federation;
mod fetch;
mod id_token;
mod jwks;
mod provider;
mod remote;
mod transparent;
mod vault;

pub use client::{AuthorizationRequest, TokenSet, UpstreamClient, UpstreamError};
pub use federation::{FederatedProvider, Federation};
pub use fetch::{FetchError, HttpFetcher};
pub use id_token::verify_id_token;
pub use jwks::{JwksCache, JwksOptions, JwksSource, VerifyKey, keys_from_jwks, metadata_urls};
pub use provider::{Discovery, DiscoveryError, Endpoints, ProviderSettings};
pub use remote::{RemoteProvider, UPSTREAM_TIMEOUT};
pub use transparent::TransparentVerifier;
pub use vault::{UpstreamToken, Vault, VaultEntry};
