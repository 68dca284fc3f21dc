//! The full authorization-code flow in process, per signing algorithm: authorize (client and
//! redirect checks, PKCE, pending record) → login callback (CSRF, code) → token request (code
//! redeemed once, PKCE verified, family created, access token signed); and one refresh grant.
//!
//! Run with `cargo bench -p frontmcp-auth --bench code_exchange`.

mod common;

use std::hint::black_box;
use std::sync::Arc;

use common::{REDIRECT, authorize_request, params, submit_login};
use criterion::{Criterion, criterion_group, criterion_main};
use frontmcp_auth::Clock;
use frontmcp_auth::oauth::{AuthorizationServer, CallbackOutcome};
use frontmcp_auth::rules::{AuthConfig, AuthMode, PreRegisteredClient};
use frontmcp_auth::store::MemoryStore;
use frontmcp_auth::token::{KeyKind, Keyring, SigningKey};

const BASE: &str = "http://127.0.0.1:3000";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn server(key: SigningKey) -> AuthorizationServer {
    let mut auth = AuthConfig {
        mode: AuthMode::Local,
        ..AuthConfig::default()
    };
    auth.dcr.clients.push(PreRegisteredClient {
        client_id: String::from("bench-client"),
        client_secret: None,
        name: None,
        redirect_uris: vec![String::from(REDIRECT)],
        grant_types: Vec::new(),
        scopes: Vec::new(),
        jwks: None,
        jwks_uri: None,
    });
    let clock = Clock::system();
    AuthorizationServer::with_keyring(
        &auth,
        "",
        Arc::new(MemoryStore::new(clock.clone())),
        clock,
        Keyring::from_keys(vec![key]),
    )
}

/// One whole flow; returns the token response's refresh token.
async fn flow(server: &AuthorizationServer) -> String {
    let authorize = authorize_request();
    let prompt = server.authorize(&authorize, BASE).await.expect("authorize");
    let outcome = submit_login(server, prompt, &[("email", "ada@example.com")]).await;
    let CallbackOutcome::Redirect(location) = outcome else {
        panic!("no redirect");
    };
    let code = url::Url::parse(&location)
        .expect("location")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code");
    let token = params(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
        ("client_id", "bench-client"),
    ]);
    let response = server.token(&token, None, BASE).await.expect("token");
    response.refresh_token.expect("refresh token")
}

fn code_exchange(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let keys = [
        (
            "HS256",
            SigningKey::hs256(b"0123456789abcdef0123456789abcdef"),
        ),
        (
            "ES256",
            SigningKey::generate(KeyKind::Es256).expect("es256").0,
        ),
        (
            "RS256",
            SigningKey::generate(KeyKind::Rs256).expect("rs256").0,
        ),
    ];
    let mut group = c.benchmark_group("authorization_code_flow");
    for (name, key) in &keys {
        let server = server(key.clone());
        group.bench_function(*name, |b| {
            b.iter(|| runtime.block_on(flow(black_box(&server))))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("refresh_grant");
    for (name, key) in &keys {
        let server = server(key.clone());
        let mut refresh = runtime.block_on(flow(&server));
        group.bench_function(*name, |b| {
            b.iter(|| {
                let request = params(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &refresh),
                    ("client_id", "bench-client"),
                ]);
                let response = runtime
                    .block_on(server.token(black_box(&request), None, BASE))
                    .expect("refresh");
                refresh = response.refresh_token.expect("rotated");
            })
        });
    }
    group.finish();
}

criterion_group!(benches, code_exchange);
criterion_main!(benches);
