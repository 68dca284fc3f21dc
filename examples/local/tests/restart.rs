//! Stop the server and start it again on the same storage, with the same signing secret: the
//! client is still registered, the access token still verifies, the refresh token still
//! rotates, and remembered consent is still there. Once on a SQLite file, once on Redis (which
//! is itself killed and restarted in between, from its append-only file).

use std::sync::Arc;

use frontmcp_auth::Clock;
use frontmcp_auth::store::{
    Codec, ConsentRecord, ConsentStore, RedisOptions, RedisStore, SqliteOptions, SqliteStore, Store,
};
use frontmcp_auth_testkit::flow::{Flow, SECRET};
use frontmcp_auth_testkit::{ExampleServer, RedisServer};

const BINARY: &str = env!("CARGO_BIN_EXE_example-local");

/// A stable public URL, so the issuer and audience do not change with the port.
const PUBLIC_URL: &str = "http://127.0.0.1";

fn consent() -> ConsentRecord {
    ConsentRecord {
        subject: "ada@example.com".into(),
        client_id: String::new(),
        tools: vec!["whoami".into(), "list_notes".into()],
        offered: vec!["whoami".into(), "list_notes".into(), "add_note".into()],
        granted_at: Clock::system().now(),
        apps: Vec::new(),
        scopes: Vec::new(),
    }
}

/// Runs the restart scenario; `store` opens the same storage the server uses, `between` runs
/// while the server is down.
async fn survives_a_restart(
    env: &[(&str, &str)],
    store: impl Fn() -> Arc<dyn Store>,
    between: impl FnOnce(),
) {
    let flow = Flow::default();
    let server = ExampleServer::start_with_users(BINARY, env, &["ada@example.com"]);
    let base = server.base_url();
    let client_id = flow.register(&base).await;
    let code = flow.authorize(&base, &client_id, "ada@example.com").await;
    let tokens = flow.exchange(&base, &client_id, &code).await;
    let access = tokens["access_token"].as_str().expect("access").to_owned();
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    assert!(
        flow.whoami(&server.mcp_url, &access)
            .await
            .expect("a tool call before the restart")
            .contains("ada@example.com")
    );
    let remembered = ConsentRecord {
        client_id: client_id.clone(),
        ..consent()
    };
    let keep_until = Clock::system().now() + 3600;
    store()
        .put_consent(remembered.clone(), keep_until)
        .await
        .expect("remember consent");

    drop(server);
    between();
    let server = ExampleServer::start_with_users(BINARY, env, &["ada@example.com"]);
    let base = server.base_url();

    assert!(
        flow.whoami(&server.mcp_url, &access)
            .await
            .expect("the access token still verifies after the restart")
            .contains("ada@example.com")
    );
    let rotated = flow.refresh(&base, &client_id, &refresh).await;
    assert_eq!(
        rotated.status, 200,
        "the refresh token still rotates: {}",
        rotated.text
    );
    assert_ne!(
        rotated.json()["refresh_token"].as_str(),
        Some(refresh.as_str())
    );
    let code = flow.authorize(&base, &client_id, "ada@example.com").await;
    flow.exchange(&base, &client_id, &code).await;
    let kept = store()
        .consent("ada@example.com", &client_id)
        .await
        .expect("read")
        .expect("remembered consent is still there");
    assert_eq!(
        (&kept.tools, &kept.offered),
        (&remembered.tools, &remembered.offered),
        "remembered consent is still there"
    );
    assert_eq!(
        kept.apps,
        ["notes_app"],
        "and the login after the restart added its app to the same record"
    );
}

#[tokio::test]
async fn a_sqlite_store_survives_a_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("auth.db");
    let path_text = path.display().to_string();
    let env = [
        ("JWT_SECRET", SECRET),
        ("FRONTMCP_PUBLIC_URL", PUBLIC_URL),
        (
            "FRONTMCP_AUTH__TOKEN_STORAGE__SQLITE__PATH",
            path_text.as_str(),
        ),
    ];
    let store = || -> Arc<dyn Store> {
        let options = SqliteOptions {
            path: path.clone(),
            wal_mode: true,
            codec: Codec::plain(),
        };
        Arc::new(SqliteStore::open(&options, Clock::system()).expect("the same file"))
    };
    survives_a_restart(&env, store, || {}).await;
}

#[tokio::test]
async fn an_encrypted_sqlite_store_refuses_another_secret() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("auth.db");
    let open = |codec: Codec| {
        SqliteStore::open(
            &SqliteOptions {
                path: path.clone(),
                wal_mode: true,
                codec,
            },
            Clock::system(),
        )
    };
    let store = open(Codec::encrypted("the first secret")).expect("create");
    store
        .put_consent(consent(), Clock::system().now() + 60)
        .await
        .expect("write");
    drop(store);
    let raw = String::from_utf8_lossy(&std::fs::read(&path).expect("file")).into_owned();
    assert!(!raw.contains("list_notes"), "records are encrypted at rest");
    let refused = |codec| match open(codec) {
        Err(error) => error.to_string(),
        Ok(_) => panic!("opened with the wrong encryption setting"),
    };
    assert!(refused(Codec::encrypted("another secret")).contains("does not open"));
    assert!(refused(Codec::plain()).contains("created with encryption"));
    let store = open(Codec::encrypted("the first secret")).expect("reopen");
    assert_eq!(
        store
            .consent("ada@example.com", "")
            .await
            .expect("read")
            .map(|c| c.tools),
        Some(consent().tools)
    );
}

#[tokio::test]
async fn a_redis_store_survives_a_restart() {
    let mut redis = RedisServer::start();
    let port = redis.port.to_string();
    let env = [
        ("JWT_SECRET", SECRET),
        ("FRONTMCP_PUBLIC_URL", PUBLIC_URL),
        (
            "FRONTMCP_AUTH__TOKEN_STORAGE__REDIS__KEY_PREFIX",
            "restart:",
        ),
        ("REDIS_HOST", "127.0.0.1"),
        ("REDIS_PORT", port.as_str()),
    ];
    // REDIS_HOST applies only when the configuration names redis: the prefix above does.
    let options = RedisOptions {
        host: "127.0.0.1".into(),
        port: redis.port,
        password: None,
        db: 0,
        tls: false,
        key_prefix: "restart:".into(),
        cluster: Vec::new(),
    };
    let store = || -> Arc<dyn Store> {
        Arc::new(RedisStore::connect(&options, Clock::system()).expect("redis"))
    };
    survives_a_restart(&env, store, || {
        redis.kill();
        redis.resume();
    })
    .await;
}
