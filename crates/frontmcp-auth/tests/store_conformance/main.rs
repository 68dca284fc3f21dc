//! One conformance suite, expanded for every backend: memory, a SQLite file, a Redis server of
//! the test's own on a free loopback port, and a Redis Cluster (three masters, three replicas)
//! the suite starts once and shares, each test under its own key prefix. Time is injected; concurrency is real (a
//! multi-threaded runtime, every caller on its own task).

#[path = "../common/mod.rs"]
mod common;
mod families;
mod isolation;
mod lifetimes;
mod mcp_sessions;
mod users_vault;

use families::*;
use isolation::*;
use lifetimes::*;
use mcp_sessions::*;
use users_vault::*;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use frontmcp_auth::Clock;
use frontmcp_auth::secrets::{digest, open_for, seal_for};
use frontmcp_auth::store::{
    ClientAuthMethod, ClientRecord, ClientSource, CodeGrant, CodeRedemption, Codec, ConsentRecord,
    Grant, MemoryStore, PendingAuthorization, RedisOptions, RedisStore, RefreshFamily, Rotation,
    SessionRecord, SqliteOptions, SqliteStore, Store, StoreError,
};
use frontmcp_auth::upstream::{
    HttpFetcher, RemoteProvider, TokenSet, UpstreamError, Vault, VaultEntry,
};
use frontmcp_auth_testkit::{RedisCluster, RedisServer};
use serde_json::json;

use common::local::{Local, START, definition, form};

/// How a backend is made and how its bytes at rest are read.
enum Kind {
    Memory(Mutex<Vec<Arc<MemoryStore>>>),
    Sqlite(tempfile::TempDir),
    Redis(RedisServer),
    /// The cluster the suite shares, and this check's key prefix on it.
    Cluster(std::rc::Rc<RedisCluster>, String),
}

/// One backend under test: stores by name (same name, same data), a shared manual clock.
struct Backend {
    kind: Kind,
    clock: Clock,
    stores: Mutex<HashMap<String, Arc<dyn Store>>>,
}

impl Backend {
    fn new(kind: Kind) -> Self {
        Self {
            kind,
            clock: Clock::manual(START),
            stores: Mutex::new(HashMap::new()),
        }
    }

    fn memory() -> Self {
        Self::new(Kind::Memory(Mutex::new(Vec::new())))
    }

    fn sqlite() -> Self {
        Self::new(Kind::Sqlite(tempfile::tempdir().expect("temp dir")))
    }

    fn redis() -> Self {
        Self::new(Kind::Redis(RedisServer::start()))
    }

    /// A backend on `cluster`, under a key prefix of its own.
    fn on_cluster(cluster: &std::rc::Rc<RedisCluster>) -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self::new(Kind::Cluster(cluster.clone(), format!("t{n}:")))
    }

    /// The key prefix of the store called `name` (Redis and the cluster).
    fn prefix(&self, name: &str) -> String {
        match &self.kind {
            Kind::Cluster(_, test) => format!("test:{test}{name}:"),
            _ => format!("test:{name}:"),
        }
    }

    /// The store called `name`: for memory its own instance, for SQLite its own file, for
    /// Redis its own key prefix on the one server.
    fn store(&self, name: &str) -> Arc<dyn Store> {
        let mut stores = self.stores.lock().expect("stores");
        if let Some(store) = stores.get(name) {
            return store.clone();
        }
        let store: Arc<dyn Store> = match &self.kind {
            Kind::Memory(all) => {
                let store = Arc::new(MemoryStore::new(self.clock.clone()));
                all.lock().expect("memory stores").push(store.clone());
                store
            }
            Kind::Sqlite(dir) => {
                let options = SqliteOptions {
                    path: dir.path().join(format!("{name}.db")),
                    wal_mode: true,
                    codec: Codec::plain(),
                };
                Arc::new(SqliteStore::open(&options, self.clock.clone()).expect("sqlite"))
            }
            Kind::Redis(server) => {
                let options = RedisOptions {
                    host: "127.0.0.1".into(),
                    port: server.port,
                    password: None,
                    db: 0,
                    tls: false,
                    key_prefix: self.prefix(name),
                    cluster: Vec::new(),
                };
                Arc::new(RedisStore::connect(&options, self.clock.clone()).expect("redis"))
            }
            Kind::Cluster(cluster, _) => {
                let options = RedisOptions {
                    host: String::new(),
                    port: 0,
                    password: None,
                    db: 0,
                    tls: false,
                    key_prefix: self.prefix(name),
                    cluster: cluster.seeds(),
                };
                Arc::new(RedisStore::connect(&options, self.clock.clone()).expect("cluster"))
            }
        };
        stores.insert(name.to_owned(), store.clone());
        store
    }

    /// How many records the store called `name` holds: memory's own count, SQLite's rows of
    /// families and refresh tokens, Redis's family and refresh-token keys under the store's prefix.
    fn family_records(&self, name: &str) -> u64 {
        let _ = self.store(name);
        match &self.kind {
            Kind::Memory(all) => all
                .lock()
                .expect("memory stores")
                .iter()
                .map(|store| store.record_count() as u64)
                .sum(),
            Kind::Sqlite(dir) => {
                let conn = rusqlite::Connection::open(dir.path().join(format!("{name}.db")))
                    .expect("open the file");
                let count: i64 = conn
                    .query_row(
                        "SELECT (SELECT COUNT(*) FROM families)
                              + (SELECT COUNT(*) FROM refresh_tokens)",
                        [],
                        |row| row.get(0),
                    )
                    .expect("count");
                u64::try_from(count).expect("a count")
            }
            Kind::Redis(server) => {
                server.count_keys(&format!("{}family:", self.prefix(name)))
                    + server.count_keys(&format!("{}refresh:", self.prefix(name)))
            }
            Kind::Cluster(cluster, _) => {
                cluster.count_keys(&format!("{}family:", self.prefix(name)))
                    + cluster.count_keys(&format!("{}refresh:", self.prefix(name)))
            }
        }
    }

    /// Everything the backend holds, as bytes at rest (lossy text).
    fn at_rest(&self) -> String {
        match &self.kind {
            Kind::Memory(all) => format!("{:?}", all.lock().expect("memory stores")),
            Kind::Sqlite(dir) => files_text(dir.path()),
            Kind::Redis(server) => files_text(server.data_dir()),
            Kind::Cluster(cluster, _) => cluster.data_dirs().into_iter().map(files_text).collect(),
        }
    }
}

fn files_text(dir: &std::path::Path) -> String {
    let mut text = String::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).expect("read dir").flatten() {
                pending.push(entry.path());
            }
        } else if let Ok(bytes) = std::fs::read(&path) {
            text.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    text
}

fn grant() -> Grant {
    Grant {
        client_id: "client-1".into(),
        subject: "ada@example.com".into(),
        email: Some("ada@example.com".into()),
        name: None,
        scope: vec!["profile".into()],
        resource: "http://127.0.0.1/mcp".into(),
        issuer: "http://127.0.0.1".into(),
        auth_time: START,
        consent: None,
        authorized_apps: None,
        skipped_apps: None,
        claims: Default::default(),
    }
}

fn family(id: &str, expires_at: u64) -> RefreshFamily {
    RefreshFamily {
        id: id.into(),
        grant: grant(),
        generation: 0,
        expires_at,
        rotated_at: START,
        replay: None,
        revoked: false,
    }
}

fn rotation(family_id: &str, from: u64, new_hash: &str) -> Rotation {
    Rotation {
        family_id: family_id.into(),
        from_generation: from,
        new_token_hash: new_hash.into(),
        expires_at: START + 1000,
        rotated_at: START + 1,
        replay: vec![7, 7, 7],
    }
}

fn pending(id: &str) -> PendingAuthorization {
    PendingAuthorization {
        id: id.into(),
        client_id: "client-1".into(),
        client_name: "Client".into(),
        redirect_uri: "http://127.0.0.1:7777/callback".into(),
        state: Some("s".into()),
        scope: vec![],
        resource: "r".into(),
        code_challenge: "c".into(),
        csrf_hash: "h".into(),
        issuer: "i".into(),
        created_at: START,
        expires_at: START + 600,
        identity: None,
        apps: None,
        app_choice: None,
        login_name: None,
        passkey_state: None,
        upstream: None,
        upstream_tokens: None,
        federation: None,
        connect: None,
    }
}

fn client(id: &str, source: ClientSource) -> ClientRecord {
    ClientRecord {
        client_id: id.into(),
        secret_hash: None,
        name: Some(format!("client {id}")),
        redirect_uris: vec!["http://127.0.0.1:7777/callback".into()],
        auth_method: ClientAuthMethod::None,
        scope: None,
        source,
        created_at: START,
        keep_until: None,
        registration_token_hash: None,
    }
}

fn session(id: &str, subject: &str, created_at: u64, expires_at: u64) -> SessionRecord {
    SessionRecord {
        id: id.into(),
        subject: subject.into(),
        client_id: "client-1".into(),
        created_at,
        expires_at,
    }
}

const CALLERS: usize = 24;

async fn codes_are_redeemed_exactly_once(backend: Backend) {
    let store = backend.store("main");
    let code = CodeGrant {
        grant: grant(),
        redirect_uri: "http://127.0.0.1:7777/callback".into(),
        code_challenge: "challenge".into(),
        expires_at: START + 60,
        upstream_tokens: None,
    };
    store
        .put_code("code-hash".into(), code.clone(), START + 120)
        .await
        .expect("put");
    let tasks: Vec<_> = (0..CALLERS)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.redeem_code("code-hash", &format!("f{i}")).await })
        })
        .collect();
    let mut fresh = Vec::new();
    let mut reused = Vec::new();
    for (i, task) in tasks.into_iter().enumerate() {
        match task.await.expect("task").expect("redeem") {
            CodeRedemption::Fresh(grant) => {
                assert_eq!(*grant, code);
                fresh.push(format!("f{i}"));
            }
            CodeRedemption::Reused { family_id } => reused.push(family_id),
            CodeRedemption::Unknown => panic!("a stored code read as unknown"),
        }
    }
    assert_eq!(fresh.len(), 1, "exactly one caller redeems the code");
    assert_eq!(reused.len(), CALLERS - 1);
    assert!(
        reused.iter().all(|id| *id == fresh[0]),
        "every later caller learns the first family: {reused:?} vs {fresh:?}"
    );
    assert_eq!(
        store.redeem_code("other", "f").await,
        Ok(CodeRedemption::Unknown)
    );
}

async fn pending_authorizations_are_taken_once(backend: Backend) {
    let store = backend.store("main");
    store
        .put_pending(pending("p1"), START + 1200)
        .await
        .expect("put");
    assert_eq!(store.pending("p1").await, Ok(Some(pending("p1"))));
    let tasks: Vec<_> = (0..CALLERS)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.take_pending("p1").await })
        })
        .collect();
    let mut taken = 0;
    for task in tasks {
        if task.await.expect("task").expect("take").is_some() {
            taken += 1;
        }
    }
    assert_eq!(
        taken, 1,
        "exactly one caller takes the pending authorization"
    );
    assert_eq!(store.pending("p1").await, Ok(None));
}

async fn rotation_happens_exactly_once(backend: Backend) {
    let store = backend.store("main");
    store
        .create_family(family("fam", START + 500), "t0".into())
        .await
        .expect("create");
    let tasks: Vec<_> = (0..CALLERS)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                (
                    i,
                    store
                        .rotate_family(rotation("fam", 0, &format!("t1-{i}")))
                        .await,
                )
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        let (i, rotated) = task.await.expect("task");
        if rotated.expect("rotate") {
            winners.push(i);
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "compare-and-swap lets exactly one rotation through"
    );
    let winner = winners[0];
    let now = store.family("fam").await.expect("read").expect("family");
    assert_eq!(now.generation, 1);
    assert_eq!(now.expires_at, START + 1000);
    assert_eq!(now.replay.as_deref(), Some(&[7u8, 7, 7][..]));
    for i in 0..CALLERS {
        let lookup = store
            .family_by_token(&format!("t1-{i}"))
            .await
            .expect("lookup");
        assert_eq!(
            lookup.map(|l| l.generation),
            (i == winner).then_some(1),
            "only the winner's token joined the family (no fork)"
        );
    }
    let old = store
        .family_by_token("t0")
        .await
        .expect("lookup")
        .expect("the old token is still known, as generation 0");
    assert_eq!((old.generation, old.family.generation), (0, 1));
    assert!(
        store
            .rotate_family(rotation("fam", 1, "t2"))
            .await
            .expect("rotate"),
        "the next generation rotates"
    );
    assert!(
        !store
            .rotate_family(rotation("missing", 0, "t"))
            .await
            .expect("rotate"),
        "an unknown family does not rotate"
    );
}

async fn sessions_and_consent_are_per_user(backend: Backend) {
    let store = backend.store("main");
    for (id, subject, created) in [("s2", "ada", START + 2), ("s1", "ada", START + 1)] {
        store
            .put_session(session(id, subject, created, START + 100))
            .await
            .expect("session");
    }
    store
        .put_session(session("s3", "bob", START, START + 100))
        .await
        .expect("session");
    let ids = |sessions: Vec<SessionRecord>| -> Vec<String> {
        sessions.into_iter().map(|s| s.id).collect()
    };
    assert_eq!(
        ids(store.sessions_of("ada").await.expect("list")),
        ["s1", "s2"],
        "oldest first"
    );
    store.delete_session("s1").await.expect("delete");
    assert_eq!(ids(store.sessions_of("ada").await.expect("list")), ["s2"]);
    assert_eq!(ids(store.sessions_of("bob").await.expect("list")), ["s3"]);
    assert_eq!(store.session("s1").await, Ok(None));

    let mut consent = ConsentRecord {
        subject: "ada".into(),
        client_id: "client-1".into(),
        tools: vec!["add".into()],
        offered: vec!["add".into()],
        granted_at: START,
        apps: Vec::new(),
        scopes: Vec::new(),
    };
    store
        .put_consent(consent.clone(), START + 100)
        .await
        .expect("put");
    consent.tools = vec!["add".into(), "sub".into()];
    store
        .put_consent(consent.clone(), START + 100)
        .await
        .expect("replace");
    assert_eq!(store.consent("ada", "client-1").await, Ok(Some(consent)));
    assert_eq!(store.consent("ada", "client-2").await, Ok(None));
    assert_eq!(store.consent("bob", "client-1").await, Ok(None));

    store.delete_vault("none").await.expect("deleting nothing");
    store
        .put_vault("s2".into(), vec![5], START + 100)
        .await
        .expect("vault");
    store.delete_vault("s2").await.expect("delete");
    assert_eq!(store.vault("s2").await, Ok(None));
}

macro_rules! conformance {
    ($($backend:ident),+) => {$(
        mod $backend {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn codes_are_redeemed_exactly_once() {
                super::codes_are_redeemed_exactly_once(Backend::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn pending_authorizations_are_taken_once() {
                super::pending_authorizations_are_taken_once(Backend::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn rotation_happens_exactly_once() {
                super::rotation_happens_exactly_once(Backend::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn revoked_families_are_removed() {
                super::revoked_families_are_removed(Backend::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_refresh_loop_of_10000_rotations_leaves_the_family_size_constant() {
                super::a_refresh_loop_of_10000_rotations_leaves_the_family_size_constant(
                    Backend::$backend(),
                )
                .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn records_expire_on_time() {
                super::records_expire_on_time(Backend::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn clients_persist_under_the_registration_limit() {
                super::clients_persist_under_the_registration_limit(Backend::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn registered_clients_expire_are_touched_and_deleted() {
                super::registered_clients_expire_are_touched_and_deleted(Backend::$backend())
                    .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sessions_and_consent_are_per_user() {
                super::sessions_and_consent_are_per_user(Backend::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn stores_with_other_names_are_isolated() {
                super::stores_with_other_names_are_isolated(Backend::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn every_revocation_changes_the_revocation_count() {
                super::every_revocation_changes_the_revocation_count(Backend::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn secrets_are_hashed_at_rest() {
                crate::secrets_are_hashed_at_rest(Backend::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn users_are_kept_listed_and_removed() {
                super::users_are_kept_listed_and_removed(Backend::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn mcp_sessions_are_kept_bounded_and_their_events_logged() {
                super::mcp_sessions_are_kept_bounded_and_their_events_logged(Backend::$backend())
                    .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn vault_entries_are_sealed_bound_and_expire() {
                super::vault_entries_are_sealed_bound_and_expire(Backend::$backend()).await;
            }
        }
    )+};
}

conformance!(memory, sqlite, redis);

/// The whole suite on one Redis Cluster the test starts (three masters, three replicas): each
/// check under its own key prefix, one after another (a cluster per check would be 6 servers
/// each).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_suite_passes_on_a_redis_cluster() {
    let cluster = std::rc::Rc::new(RedisCluster::start());
    let on = || Backend::on_cluster(&cluster);
    codes_are_redeemed_exactly_once(on()).await;
    pending_authorizations_are_taken_once(on()).await;
    rotation_happens_exactly_once(on()).await;
    revoked_families_are_removed(on()).await;
    a_refresh_loop_of_10000_rotations_leaves_the_family_size_constant(on()).await;
    records_expire_on_time(on()).await;
    clients_persist_under_the_registration_limit(on()).await;
    registered_clients_expire_are_touched_and_deleted(on()).await;
    sessions_and_consent_are_per_user(on()).await;
    stores_with_other_names_are_isolated(on()).await;
    every_revocation_changes_the_revocation_count(on()).await;
    secrets_are_hashed_at_rest(on()).await;
    users_are_kept_listed_and_removed(on()).await;
    mcp_sessions_are_kept_bounded_and_their_events_logged(on()).await;
    vault_entries_are_sealed_bound_and_expire(on()).await;
}
