//! The OAuth 2.1 authorization server of `local` mode, sans-IO: typed inputs (parameters, the
//! request's base URL, the injected clock, the store) in, typed outcomes out; no HTTP types.
//! The handlers in [`crate::http`] only extract, call one function and map the result.

mod assertion;
pub mod authorize;
pub mod callback;
pub mod cimd;
mod client_management;
pub mod clients;
mod connect;
pub mod consent;
pub mod error;
mod federated;
pub mod flow;
mod incremental;
mod inspect;
mod machine;
mod machines;
mod metadata;
pub mod params;
pub mod passkey;
pub mod pkce;
pub mod redirect_uri;
mod register;
mod remote;
mod replays;
pub mod scope;
mod server;
mod sessions;
mod tickets;
mod token;

pub use authorize::{AuthorizeError, AuthorizeStep};
pub use clients::BasicCredentials;
pub use consent::{ConsentInput, parse_consent};
pub use error::{ErrorCode, OAuthError};
pub use flow::{
    CODE_TTL, CallbackInput, CallbackOutcome, ConsentPrompt, ErrorPage, LoginPrompt, PENDING_TTL,
    PasskeyMode, PasskeyPrompt, ProviderOption,
};
pub use inspect::LocalVerifier;
pub use params::Params;
pub use passkey::{PasskeyAction, PasskeyInput, parse_passkey};
pub use server::{AuthorizationServer, TokenResponse};
pub use sessions::{AdminError, AdminRevoke};
