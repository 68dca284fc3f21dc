//! The password login's cost: one argon2id verification at the chosen parameters (the bound
//! on logins per second per core), and a whole password login through the authorization server
//! in process (authorize → callback with the password directory, on the memory store).
//!
//! Run with `cargo bench -p frontmcp-auth --bench password_login`.

mod common;

use std::hint::black_box;
use std::sync::Arc;

use common::{REDIRECT, authorize_request, submit_login};
use criterion::{Criterion, criterion_group, criterion_main};
use frontmcp_auth::Clock;
use frontmcp_auth::login::Login;
use frontmcp_auth::login::password::{hash_password, verify_blocking};
use frontmcp_auth::oauth::{AuthorizationServer, CallbackOutcome};
use frontmcp_auth::rules::{AuthConfig, AuthMode, AuthenticatorKind, PreRegisteredClient};
use frontmcp_auth::store::{MemoryStore, Store, UserRecord};
use frontmcp_auth::token::{Keyring, SigningKey};

const BASE: &str = "http://127.0.0.1:3000";
const PASSWORD: &str = "correct horse battery staple";

fn server(runtime: &tokio::runtime::Runtime) -> AuthorizationServer {
    let mut auth = AuthConfig {
        mode: AuthMode::Local,
        ..AuthConfig::default()
    };
    auth.login.authenticator = Some(AuthenticatorKind::Password);
    auth.login.max_failures = u64::MAX;
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
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new(clock.clone()));
    runtime
        .block_on(store.put_user(UserRecord {
            username: String::from("ada"),
            subject: String::from("ada"),
            email: None,
            name: None,
            password_hash: Some(hash_password(PASSWORD).expect("hash")),
            passkeys: Vec::new(),
            created_at: 0,
        }))
        .expect("user");
    let login = Login::build(&auth, None, store.clone(), clock.clone(), None).expect("login");
    AuthorizationServer::with_keyring(
        &auth,
        "",
        store,
        clock,
        Keyring::from_keys(vec![SigningKey::hs256(b"0123456789abcdef0123456789abcdef")]),
    )
    .with_login(Arc::new(login))
}

async fn login(server: &AuthorizationServer) {
    let authorize = authorize_request();
    let prompt = server.authorize(&authorize, BASE).await.expect("authorize");
    let outcome = submit_login(
        server,
        prompt,
        &[("username", "ada"), ("password", PASSWORD)],
    )
    .await;
    assert!(matches!(outcome, CallbackOutcome::Redirect(_)));
}

fn password_login(c: &mut Criterion) {
    let hash = hash_password(PASSWORD).expect("hash");
    let mut group = c.benchmark_group("argon2id_m19456_t2_p1");
    group.sample_size(30);
    group.bench_function("verify", |b| {
        b.iter(|| assert!(verify_blocking(Some(black_box(&hash)), black_box(PASSWORD))))
    });
    group.bench_function("verify_unknown_user", |b| {
        b.iter(|| assert!(!verify_blocking(None, black_box(PASSWORD))))
    });
    group.finish();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let server = server(&runtime);
    let mut group = c.benchmark_group("password_login");
    group.sample_size(30);
    group.bench_function("authorize_and_callback", |b| {
        b.iter(|| runtime.block_on(login(black_box(&server))))
    });
    group.finish();
}

criterion_group!(benches, password_login);
criterion_main!(benches);
