//! The background sweep that `store::open` starts: expired rows leave the SQLite file every
//! `ttl_cleanup_interval` seconds without any request arriving. (Expiry itself follows the
//! injected clock; only the sweep's interval is real time.)

use std::time::{Duration, Instant};

use frontmcp_auth::Clock;
use frontmcp_auth::rules::{SqliteConfig, TokenStorage};
use frontmcp_auth::store::open;

const START: u64 = 1_800_000_000;

fn rows(path: &std::path::Path) -> i64 {
    let conn = rusqlite::Connection::open(path).expect("second connection");
    conn.query_row("SELECT count(*) FROM vault", [], |row| row.get(0))
        .expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_rows_are_swept_every_ttl_cleanup_interval() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("auth.db");
    let clock = Clock::manual(START);
    let storage = TokenStorage::Sqlite(SqliteConfig {
        path: path.display().to_string(),
        ttl_cleanup_interval: 1,
        ..SqliteConfig::default()
    });
    let store = open(&storage, &clock).expect("open");
    for (session, keep) in [("a", 10), ("b", 10), ("live", 1000)] {
        store
            .put_vault(session.into(), vec![1], START + keep)
            .await
            .expect("write");
    }
    assert_eq!(rows(&path), 3);

    clock.advance(20);
    let deadline = Instant::now() + Duration::from_secs(10);
    while rows(&path) != 1 {
        assert!(
            Instant::now() < deadline,
            "the expired rows were not swept in the background"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(store.vault("live").await, Ok(Some(vec![1])));
}
