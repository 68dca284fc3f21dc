//! `auth.upstream_token()` on a tool's hot path, beside the stateful session check every guarded
//! call already makes (`store.family(id)`), on the memory store and on a Redis server of the
//! benchmark's own over loopback. `cached` is a token the vault has opened before (the steady
//! state of a session); `cold` is the first read in a process: the sealed entry read from the
//! store and opened (AES-256-GCM).
//!
//! Run with `cargo bench -p frontmcp-auth --bench upstream_token`.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use frontmcp_auth::config::{Environment, FileChoice};
use frontmcp_auth::store::{Grant, MemoryStore, RedisOptions, RedisStore, RefreshFamily, Store};
use frontmcp_auth::upstream::{HttpFetcher, RemoteProvider, TokenSet, Vault, VaultEntry};
use frontmcp_auth::{Clock, ServerDefinition};
use frontmcp_auth_testkit::RedisServer;
use serde_json::json;

const NOW: u64 = 1_800_000_000;
const SESSION: &str = "session-1";
const SUBJECT: &str = "user-1";

fn vault(store: Arc<dyn Store>, clock: &Clock) -> Arc<Vault> {
    let definition = ServerDefinition::new("Bench").with_base(json!({ "auth": {
        "mode": "remote",
        // A closed loopback port: nothing here calls the provider.
        "provider": "http://127.0.0.1:9",
        "client_id": "bench",
        "client_secret": "bench-secret",
        "vault_key": "a-vault-key-of-at-least-32-characters-0123",
    }}));
    let loaded = definition
        .loader()
        .env(Environment::from_pairs::<&str, &str>([]))
        .file(FileChoice::None)
        .load()
        .expect("valid configuration");
    let auth = loaded.config.auth.expect("auth");
    RemoteProvider::build(&auth, store, clock.clone(), HttpFetcher::default())
        .expect("provider")
        .vault
        .expect("a vault")
}

fn family() -> RefreshFamily {
    RefreshFamily {
        id: SESSION.into(),
        grant: Grant {
            client_id: "client-1".into(),
            subject: SUBJECT.into(),
            email: Some("ada@example.com".into()),
            name: None,
            scope: vec!["profile".into()],
            resource: "http://127.0.0.1/mcp".into(),
            issuer: "http://127.0.0.1".into(),
            auth_time: NOW,
            consent: None,
            authorized_apps: None,
            skipped_apps: None,
            claims: Default::default(),
        },
        generation: 0,
        expires_at: NOW + 86_400,
        rotated_at: NOW,
        replay: None,
        revoked: false,
    }
}

fn entry() -> VaultEntry {
    VaultEntry {
        subject: SUBJECT.into(),
        client_id: "client-1".into(),
        provider: "default".into(),
        tokens: TokenSet {
            access_token: "upstream-access-token-0123456789abcdef".into(),
            token_type: "Bearer".into(),
            expires_at: Some(NOW + 3600),
            refresh_token: Some("upstream-refresh-token-0123456789abcdef".into()),
            id_token: None,
            scope: Some("openid profile email".into()),
        },
        keep_until: NOW + 86_400,
    }
}

fn upstream_token(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // The Redis client spawns its connection task on the current runtime.
    let _entered = runtime.enter();
    let clock = Clock::manual(NOW);
    let redis = RedisServer::start();
    let backends: Vec<(&str, Arc<dyn Store>)> = vec![
        ("memory", Arc::new(MemoryStore::new(clock.clone()))),
        (
            "redis",
            Arc::new(
                RedisStore::connect(
                    &RedisOptions {
                        host: "127.0.0.1".into(),
                        port: redis.port,
                        password: None,
                        db: 0,
                        tls: false,
                        key_prefix: "bench:".into(),
                        cluster: Vec::new(),
                    },
                    clock.clone(),
                )
                .expect("redis"),
            ),
        ),
    ];
    let mut group = c.benchmark_group("upstream_token");
    for (name, store) in &backends {
        let warm = vault(store.clone(), &clock);
        runtime.block_on(async {
            store
                .create_family(family(), "hash-1".into())
                .await
                .expect("family");
            warm.put(SESSION, entry()).await.expect("vault entry");
            let token = warm
                .token(SESSION, SUBJECT, "default")
                .await
                .expect("token");
            assert_eq!(token.expires_at, Some(NOW + 3600));
        });
        group.bench_function(format!("{name}/session_check"), |b| {
            b.iter(|| runtime.block_on(store.family(black_box(SESSION))))
        });
        // What the guard's session cache reads instead: the store's revocation count.
        group.bench_function(format!("{name}/revocation_count"), |b| {
            b.iter(|| {
                runtime.block_on(async {
                    match store.revocations() {
                        Some(count) => count.await,
                        None => Ok(0),
                    }
                })
            })
        });
        group.bench_function(format!("{name}/upstream_token_cached"), |b| {
            b.iter(|| runtime.block_on(warm.token(black_box(SESSION), SUBJECT, "default")))
        });
        group.bench_function(format!("{name}/upstream_token_cold"), |b| {
            b.iter_batched(
                || vault(store.clone(), &clock),
                |fresh| {
                    runtime.block_on(async move { fresh.token(SESSION, SUBJECT, "default").await })
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, upstream_token);
criterion_main!(benches);
