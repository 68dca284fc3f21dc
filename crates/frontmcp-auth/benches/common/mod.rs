#![allow(dead_code)]

//! What the in-process benchmarks share: form parameters and the authorize request of the
//! pre-registered bench client.

use frontmcp_auth::oauth::Params;

/// The redirect URI of the bench client.
pub const REDIRECT: &str = "http://127.0.0.1:7777/callback";
/// The PKCE challenge of the benches' verifier.
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// `pairs` as form parameters.
pub fn params(pairs: &[(&str, &str)]) -> Params {
    let text: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    Params::from_urlencoded(text.as_bytes()).expect("params")
}

/// The authorize request of `bench-client` (PKCE S256, a state).
pub fn authorize_request() -> Params {
    params(&[
        ("response_type", "code"),
        ("client_id", "bench-client"),
        ("redirect_uri", REDIRECT),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("state", "state-123"),
    ])
}
