//! The guard's caches in local mode, in process with an injected clock: a client calling tools
//! with one token pays the signature once; the cache never outlives the token, never answers
//! for another base, and a revocation is refused on the next call although the session was
//! cached live.

#[path = "../benches/common/mod.rs"]
mod bench_common;

use std::sync::Arc;

use frontmcp_auth::Clock;
use frontmcp_auth::oauth::{AuthorizationServer, CallbackOutcome, Params};
use frontmcp_auth::rules::{AuthConfig, AuthMode, PreRegisteredClient, SessionMode};
use frontmcp_auth::store::{MemoryStore, Store};
use frontmcp_auth::token::{KeyKind, Keyring, SigningKey};
use frontmcp_auth::verify::Rejection;

const BASE: &str = "http://127.0.0.1:3000";
const REDIRECT: &str = "http://127.0.0.1:7777/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const START: u64 = 1_800_000_000;

fn params(pairs: &[(&str, &str)]) -> Params {
    let text: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    Params::from_urlencoded(text.as_bytes()).expect("params")
}

fn server(clock: &Clock, store: Arc<dyn Store>) -> AuthorizationServer {
    let mut auth = AuthConfig {
        mode: AuthMode::Local,
        session_mode: SessionMode::Stateful,
        ..AuthConfig::default()
    };
    auth.dcr.clients.push(PreRegisteredClient {
        client_id: String::from("cache-client"),
        client_secret: None,
        name: None,
        redirect_uris: vec![String::from(REDIRECT)],
        grant_types: Vec::new(),
        scopes: Vec::new(),
        jwks: None,
        jwks_uri: None,
    });
    let key = SigningKey::generate(KeyKind::Es256).expect("key").0;
    AuthorizationServer::with_keyring(
        &auth,
        "",
        store,
        clock.clone(),
        Keyring::from_keys(vec![key]),
    )
}

/// One sign-in through authorize, the login form and the code exchange: the access token and
/// its session (refresh family).
async fn sign_in(server: &AuthorizationServer) -> (String, String) {
    let authorize = params(&[
        ("response_type", "code"),
        ("client_id", "cache-client"),
        ("redirect_uri", REDIRECT),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("state", "state-123"),
    ]);
    let prompt = server.authorize(&authorize, BASE).await.expect("authorize");
    let outcome = bench_common::submit_login(server, prompt, &[("email", "ada@example.com")]).await;
    let CallbackOutcome::Redirect(location) = outcome else {
        panic!("no redirect");
    };
    let code = url::Url::parse(&location)
        .expect("location")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code");
    let exchange = params(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
        ("client_id", "cache-client"),
    ]);
    let response = server.token(&exchange, None, BASE).await.expect("token");
    let context = server
        .verify_access(&response.access_token, BASE)
        .await
        .expect("the new token verifies");
    let session = context
        .session_id
        .expect("a stateful token names its session");
    (response.access_token, session)
}

#[tokio::test]
async fn one_token_pays_the_signature_once_until_it_expires() {
    let clock = Clock::manual(START);
    let server = server(&clock, Arc::new(MemoryStore::new(clock.clone())));
    let (token, _) = sign_in(&server).await;
    let before = server.signature_checks();
    for _ in 0..50 {
        let caller = server.verify_access(&token, BASE).await.expect("verifies");
        assert_eq!(caller.subject, "ada@example.com");
    }
    assert_eq!(
        server.signature_checks(),
        before,
        "every call served from the cache"
    );

    // Another base is another issuer and audience: checked, and refused, never served from
    // the entry of the first.
    let other = server.verify_access(&token, "http://other.example").await;
    assert!(
        matches!(other, Err(Rejection::InvalidToken { .. })),
        "{other:?}"
    );
    assert_eq!(server.signature_checks(), before + 1);

    // Past the token's expiry (and the leeway), the cache does not answer for it.
    clock.advance(3600 + 10);
    let expired = server.verify_access(&token, BASE).await;
    assert!(
        matches!(expired, Err(Rejection::InvalidToken { .. })),
        "{expired:?}"
    );
    assert_eq!(server.signature_checks(), before + 2);
}

#[tokio::test]
async fn a_revoked_session_is_refused_on_the_next_call_though_it_was_cached_live() {
    let clock = Clock::manual(START);
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new(clock.clone()));
    let server = server(&clock, store.clone());
    let (token, session) = sign_in(&server).await;
    for _ in 0..5 {
        server.verify_access(&token, BASE).await.expect("live");
    }
    // Revoked behind the server's back, as another instance or the admin endpoint does.
    store.revoke_family(&session).await.expect("revoke");
    let refused = server.verify_access(&token, BASE).await;
    assert!(
        matches!(&refused, Err(Rejection::InvalidToken { description }) if description.contains("revoked")),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_live_session_is_read_again_after_the_trust_window() {
    let clock = Clock::manual(START);
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new(clock.clone()));
    let server = server(&clock, store.clone());
    let (token, session) = sign_in(&server).await;
    server.verify_access(&token, BASE).await.expect("live");
    // The family disappears without a revocation (a sweep after its end, a restored backup):
    // the cached answer holds only within the trust window.
    let mut family = store.family(&session).await.expect("read").expect("family");
    family.expires_at = START + 1;
    store
        .create_family(family, String::from("replacement-hash"))
        .await
        .expect("rewrite");
    clock.advance(frontmcp_auth::verify::SESSION_TRUST_SECONDS);
    let refused = server.verify_access(&token, BASE).await;
    assert!(
        matches!(refused, Err(Rejection::InvalidToken { .. })),
        "{refused:?}"
    );
}
