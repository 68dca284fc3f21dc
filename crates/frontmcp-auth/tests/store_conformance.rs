//! One conformance suite, expanded for every backend: memory, a SQLite file, and a Redis server
//! of the test's own on a free loopback port. Time is injected; concurrency is real (a
//! multi-threaded runtime, every caller on its own task).

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use frontmcp_auth::Clock;
use frontmcp_auth::oauth::secrets::{digest, open_for, seal_for};
use frontmcp_auth::store::{
    ClientAuthMethod, ClientRecord, ClientSource, CodeGrant, CodeRedemption, Codec, ConsentRecord,
    Grant, MemoryStore, PendingAuthorization, RedisOptions, RedisStore, RefreshFamily, Rotation,
    SessionRecord, SqliteOptions, SqliteStore, Store, StoreError,
};
use frontmcp_auth::upstream::{
    HttpFetcher, RemoteProvider, TokenSet, UpstreamError, Vault, VaultEntry,
};
use frontmcp_auth_testkit::RedisServer;
use serde_json::json;

use common::local::{Local, START, definition, form};

/// How a backend is made and how its bytes at rest are read.
enum Kind {
    Memory(Mutex<Vec<Arc<MemoryStore>>>),
    Sqlite(tempfile::TempDir),
    Redis(RedisServer),
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
                    key_prefix: format!("test:{name}:"),
                };
                Arc::new(RedisStore::connect(&options, self.clock.clone()).expect("redis"))
            }
        };
        stores.insert(name.to_owned(), store.clone());
        store
    }

    /// Everything the backend holds, as bytes at rest (lossy text).
    fn at_rest(&self) -> String {
        match &self.kind {
            Kind::Memory(all) => format!("{:?}", all.lock().expect("memory stores")),
            Kind::Sqlite(dir) => files_text(dir.path()),
            Kind::Redis(server) => files_text(server.data_dir()),
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

async fn revoked_families_stay_revoked(backend: Backend) {
    let store = backend.store("main");
    store
        .create_family(family("fam", START + 500), "t0".into())
        .await
        .expect("create");
    assert!(
        store
            .rotate_family(rotation("fam", 0, "t1"))
            .await
            .expect("rotate")
    );
    store.revoke_family("fam").await.expect("revoke");
    store
        .revoke_family("never-existed")
        .await
        .expect("revoking nothing is fine");
    assert!(
        store.family("never-existed").await.expect("read").is_none(),
        "revoking an absent family creates nothing"
    );
    assert!(
        !store
            .rotate_family(rotation("fam", 1, "t2"))
            .await
            .expect("rotate"),
        "a revoked family does not rotate"
    );
    for token in ["t0", "t1"] {
        let lookup = store
            .family_by_token(token)
            .await
            .expect("lookup")
            .expect("known");
        assert!(lookup.family.revoked, "{token} belongs to a revoked family");
        assert_eq!(lookup.family.replay, None, "the sealed replay is dropped");
    }
    assert!(store.family_by_token("t2").await.expect("lookup").is_none());
}

async fn records_expire_on_time(backend: Backend) {
    let store = backend.store("main");
    let clock = backend.clock.clone();
    store
        .put_pending(pending("p"), START + 100)
        .await
        .expect("pending");
    let code = CodeGrant {
        grant: grant(),
        redirect_uri: "r".into(),
        code_challenge: "c".into(),
        expires_at: START + 60,
        upstream_tokens: None,
    };
    store
        .put_code("code".into(), code, START + 100)
        .await
        .expect("code");
    store
        .create_family(family("fam", START + 100), "t0".into())
        .await
        .expect("family");
    store
        .put_session(session("s", "ada", START, START + 100))
        .await
        .expect("session");
    let consent = ConsentRecord {
        subject: "ada".into(),
        client_id: "client-1".into(),
        tools: vec!["add".into()],
        offered: vec!["add".into(), "sub".into()],
        granted_at: START,
        apps: Vec::new(),
        scopes: Vec::new(),
    };
    store
        .put_consent(consent.clone(), START + 100)
        .await
        .expect("consent");
    store
        .put_vault("s".into(), vec![1, 2, 3], START + 100)
        .await
        .expect("vault");
    store
        .put_vault("long".into(), vec![9], START + 10_000)
        .await
        .expect("vault");

    clock.advance(99);
    assert!(store.pending("p").await.expect("read").is_some());
    assert!(store.family("fam").await.expect("read").is_some());
    assert!(store.session("s").await.expect("read").is_some());
    assert_eq!(
        store.consent("ada", "client-1").await.expect("read"),
        Some(consent)
    );
    assert_eq!(store.vault("s").await, Ok(Some(vec![1, 2, 3])));

    clock.advance(1);
    assert_eq!(store.pending("p").await, Ok(None));
    assert_eq!(store.take_pending("p").await, Ok(None));
    assert_eq!(
        store.redeem_code("code", "f").await,
        Ok(CodeRedemption::Unknown)
    );
    assert_eq!(store.family("fam").await, Ok(None));
    assert_eq!(store.family_by_token("t0").await, Ok(None));
    assert!(
        !store
            .rotate_family(rotation("fam", 0, "t1"))
            .await
            .expect("rotate")
            || store.family_by_token("t1").await.expect("lookup").is_none(),
        "an expired family cannot be brought back by a rotation"
    );
    assert_eq!(store.session("s").await, Ok(None));
    assert_eq!(store.sessions_of("ada").await, Ok(vec![]));
    assert_eq!(store.consent("ada", "client-1").await, Ok(None));
    assert_eq!(store.vault("s").await, Ok(None));

    store.sweep_expired().await.expect("sweep");
    assert_eq!(
        store.vault("long").await,
        Ok(Some(vec![9])),
        "a sweep keeps live records"
    );
}

async fn clients_persist_under_the_registration_limit(backend: Backend) {
    let store = backend.store("main");
    store
        .register_client(client("configured", ClientSource::Configured), 0)
        .await
        .expect("configured clients do not count against the limit");
    store
        .register_client(client("a", ClientSource::Registered), 2)
        .await
        .expect("first");
    store
        .register_client(client("b", ClientSource::Registered), 2)
        .await
        .expect("second");
    assert!(matches!(
        store
            .register_client(client("c", ClientSource::Registered), 2)
            .await,
        Err(StoreError::LimitReached(_))
    ));
    assert_eq!(
        store.client("a").await,
        Ok(Some(client("a", ClientSource::Registered)))
    );
    assert_eq!(store.client("c").await, Ok(None));
    assert!(store.client("configured").await.expect("read").is_some());

    // Concurrent registrations never overshoot the limit.
    let tasks: Vec<_> = (0..CALLERS)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .register_client(client(&format!("x{i}"), ClientSource::Registered), 10)
                    .await
            })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        if task.await.expect("task").is_ok() {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 8, "2 registered before, 10 at most");
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

async fn stores_with_other_names_are_isolated(backend: Backend) {
    let (one, two) = (backend.store("one"), backend.store("two"));
    one.register_client(client("a", ClientSource::Registered), 1)
        .await
        .expect("register");
    two.register_client(client("b", ClientSource::Registered), 1)
        .await
        .expect("the other store's limit is its own");
    one.put_pending(pending("p"), START + 100)
        .await
        .expect("pending");
    one.create_family(family("fam", START + 100), "t0".into())
        .await
        .expect("family");
    one.put_vault("s".into(), vec![1], START + 100)
        .await
        .expect("vault");
    assert_eq!(two.client("a").await, Ok(None));
    assert_eq!(two.pending("p").await, Ok(None));
    assert_eq!(two.family("fam").await, Ok(None));
    assert_eq!(two.family_by_token("t0").await, Ok(None));
    assert_eq!(two.vault("s").await, Ok(None));
    assert!(
        !two.rotate_family(rotation("fam", 0, "t1"))
            .await
            .expect("rotate"),
        "a rotation through another store does not touch this family"
    );
    assert_eq!(
        one.family("fam").await.expect("read").map(|f| f.generation),
        Some(0)
    );
}

/// A full flow through the authorization server on this backend: what lands at rest holds no
/// code, refresh token, client secret or PKCE verifier, and a sealed vault entry holds no
/// upstream token in clear.
async fn secrets_are_hashed_at_rest(backend: Backend) {
    let store = backend.store("main");
    let local = Local::start_with_store(
        &definition(json!({})),
        &[],
        backend.clock.clone(),
        store.clone(),
    )
    .await;
    let confidential = local
        .register(
            json!({"redirect_uris": [common::local::REDIRECT], "client_name": "Confidential"}),
        )
        .await
        .json();
    let secret = confidential["client_secret"]
        .as_str()
        .expect("a secret")
        .to_owned();
    let (code_client, code) = local.code().await;
    let tokens = local
        .exchange(&code_client, &code, common::local::VERIFIER)
        .await
        .json();
    let first_refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let rotated = local.refresh(&code_client, &first_refresh).await.json();
    let second_refresh = rotated["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let body = form(&[("token", &second_refresh), ("client_id", &code_client)]);
    assert_eq!(
        local.post_form("/oauth/revoke", body, &[]).await.status,
        200
    );

    let upstream = "upstream-access-token-in-clear";
    let sealed = seal_for("vault", "vault key", b"s", upstream.as_bytes()).expect("seal");
    store
        .put_vault("s".into(), sealed, START + 100)
        .await
        .expect("vault");

    let raw = backend.at_rest();
    assert!(
        raw.contains(&digest(&first_refresh)),
        "the store holds the refresh token's digest (so the dump is real)"
    );
    for (what, value) in [
        ("authorization code", code.as_str()),
        ("refresh token", first_refresh.as_str()),
        ("rotated refresh token", second_refresh.as_str()),
        ("client secret", secret.as_str()),
        ("PKCE verifier", common::local::VERIFIER),
        ("upstream token", upstream),
    ] {
        assert!(!raw.contains(value), "the {what} is stored in clear");
    }
    let back = store.vault("s").await.expect("read").expect("entry");
    assert_eq!(
        open_for("vault", "vault key", b"s", &back).as_deref(),
        Some(upstream.as_bytes())
    );
}

/// The password directory's users: added, replaced, listed by name, removed; a sign-in through
/// the server leaves only the argon2id hash at rest, never the password.
async fn users_are_kept_listed_and_removed(backend: Backend) {
    let store = backend.store("main");
    let user = |name: &str, subject: &str| frontmcp_auth::store::UserRecord {
        username: name.into(),
        subject: subject.into(),
        email: Some(format!("{name}@example.com")),
        name: None,
        password_hash: None,
        passkeys: vec![json!({"cred": {"counter": 1}})],
        created_at: START,
    };
    assert_eq!(store.user("bea").await.expect("read"), None);
    assert!(!store.has_users().await.expect("has"));
    store.put_user(user("bea", "s-bea")).await.expect("put");
    assert!(store.has_users().await.expect("has"));
    store.put_user(user("ann", "s-ann")).await.expect("put");
    store
        .put_user(user("bea", "s-bea-2"))
        .await
        .expect("replace");
    let listed: Vec<(String, String)> = store
        .list_users(10)
        .await
        .expect("list")
        .into_iter()
        .map(|u| (u.username, u.subject))
        .collect();
    assert_eq!(
        listed,
        [
            ("ann".into(), "s-ann".into()),
            ("bea".into(), "s-bea-2".into())
        ]
    );
    assert_eq!(store.list_users(1).await.expect("list").len(), 1);
    assert_eq!(
        store.user("ann").await.expect("read").map(|u| u.passkeys),
        Some(vec![json!({"cred": {"counter": 1}})])
    );
    assert!(
        backend
            .store("other")
            .user("ann")
            .await
            .expect("read")
            .is_none()
    );
    assert!(store.delete_user("ann").await.expect("delete"));
    assert!(!store.delete_user("ann").await.expect("delete again"));
    assert_eq!(store.list_users(10).await.expect("list").len(), 1);

    let password = "a password that stays in the browser";
    common::local::add_users(&store, &[("ada@example.com", password)]).await;
    let local = Local::start_with_store(
        &definition(json!({"login": {"authenticator": "password"}})),
        &[],
        backend.clock.clone(),
        store.clone(),
    )
    .await;
    let client_id = local.public_client().await;
    let page = local.authorize(&client_id, &[]).await;
    assert_eq!(
        local
            .sign_in(&page, "ada@example.com", password)
            .await
            .status,
        302
    );
    let raw = backend.at_rest();
    assert!(raw.contains("$argon2id$"), "the hash is at rest");
    assert!(!raw.contains(password), "the password is not");
}

/// A remote-mode vault over `store` sealing with `vault_key`, for a provider on a closed
/// loopback port (revocation attempts fail at once; nothing here calls the provider otherwise).
fn vault_over(store: Arc<dyn Store>, clock: &Clock, vault_key: &str) -> Arc<Vault> {
    let auth = common::remote::auth_config("http://127.0.0.1:9", json!({ "vault_key": vault_key }));
    RemoteProvider::build(&auth, store, clock.clone(), HttpFetcher::default())
        .expect("provider")
        .vault
        .expect("stateful sessions have a vault")
}

fn vault_entry(subject: &str, access: &str, refresh: &str, keep_until: u64) -> VaultEntry {
    VaultEntry {
        subject: subject.to_owned(),
        client_id: String::from("client-1"),
        provider: String::from("default"),
        tokens: TokenSet {
            access_token: access.to_owned(),
            token_type: String::from("Bearer"),
            expires_at: Some(START + 3600),
            refresh_token: Some(refresh.to_owned()),
            id_token: None,
            scope: Some(String::from("openid email")),
        },
        keep_until,
    }
}

async fn vault_entries_are_sealed_bound_and_expire(backend: Backend) {
    let store = backend.store("vault");
    let writer = vault_over(store.clone(), &backend.clock, common::remote::VAULT_KEY);
    let access = "upstream-access-token-7f3a9c";
    let refresh = "upstream-refresh-token-c81d2e";
    writer
        .put(
            "session-1",
            vault_entry("user-1", access, refresh, START + 600),
        )
        .await
        .expect("put");

    let sealed = store
        .vault("session-1")
        .await
        .expect("read")
        .expect("stored");
    let raw = String::from_utf8_lossy(&sealed);
    assert!(
        !raw.contains(access) && !raw.contains(refresh),
        "sealed: {raw}"
    );
    let at_rest = backend.at_rest();
    assert!(
        !at_rest.contains(access) && !at_rest.contains(refresh) && !at_rest.contains("user-1"),
        "nothing of the entry is readable at rest"
    );

    // Another process with the same key (a restart, another instance) reads it from the store.
    let reader = vault_over(store.clone(), &backend.clock, common::remote::VAULT_KEY);
    let token = reader
        .token("session-1", "user-1", "default")
        .await
        .expect("the session's token");
    assert_eq!(token.access_token, access);
    assert_eq!(token.expires_at, Some(START + 3600));
    assert!(
        matches!(
            reader.token("session-1", "user-2", "default").await,
            Err(UpstreamError::NoSession(_))
        ),
        "another user's session gives nothing"
    );
    assert!(matches!(
        reader.token("session-1", "user-1", "github").await,
        Err(UpstreamError::UnknownProvider(_))
    ));

    // The sealed bytes are bound to their session and their key.
    store
        .put_vault(String::from("session-2"), sealed.clone(), START + 600)
        .await
        .expect("copy");
    assert!(
        matches!(
            reader.token("session-2", "user-1", "default").await,
            Err(UpstreamError::NoSession(_))
        ),
        "an entry copied under another session does not open"
    );
    let other_key = vault_over(
        store.clone(),
        &backend.clock,
        "another-vault-key-of-at-least-32-characters",
    );
    assert!(matches!(
        other_key.token("session-1", "user-1", "default").await,
        Err(UpstreamError::NoSession(_))
    ));

    // Ending the session deletes its entry for every instance.
    writer
        .put("session-3", vault_entry("user-1", "a3", "r3", START + 600))
        .await
        .expect("put");
    writer.end("session-3").await;
    assert_eq!(store.vault("session-3").await.expect("read"), None);
    assert!(matches!(
        vault_over(store.clone(), &backend.clock, common::remote::VAULT_KEY)
            .token("session-3", "user-1", "default")
            .await,
        Err(UpstreamError::NoSession(_))
    ));

    // An entry lives as long as its session, extended with it.
    writer.extend("session-1", START + 1200).await;
    backend.clock.advance(900);
    assert!(
        store.vault("session-1").await.expect("read").is_some(),
        "extended"
    );
    assert_eq!(
        store.vault("session-2").await.expect("read"),
        None,
        "expired"
    );
    backend.clock.advance(301);
    assert_eq!(store.vault("session-1").await.expect("read"), None);
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
            async fn revoked_families_stay_revoked() {
                super::revoked_families_stay_revoked(Backend::$backend()).await;
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
            async fn sessions_and_consent_are_per_user() {
                super::sessions_and_consent_are_per_user(Backend::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn stores_with_other_names_are_isolated() {
                super::stores_with_other_names_are_isolated(Backend::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn secrets_are_hashed_at_rest() {
                super::secrets_are_hashed_at_rest(Backend::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn users_are_kept_listed_and_removed() {
                super::users_are_kept_listed_and_removed(Backend::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn vault_entries_are_sealed_bound_and_expire() {
                super::vault_entries_are_sealed_bound_and_expire(Backend::$backend()).await;
            }
        }
    )+};
}

conformance!(memory, sqlite, redis);
