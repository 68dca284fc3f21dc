//! The OAuth 2.1 protocol, sans-IO: typed inputs in, typed outcomes out; no HTTP types.

pub mod pkce;
pub mod redirect_uri;
