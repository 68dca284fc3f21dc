//! Builds the store `token_storage` names, and keeps it swept.

use std::sync::{Arc, Weak};
use std::time::Duration;

use frontmcp_auth_config::TokenStorage;

#[cfg(feature = "redis")]
use super::redis::{RedisOptions, RedisStore};
#[cfg(feature = "sqlite")]
use super::sqlite::{SqliteOptions, SqliteStore};
use super::{MemoryStore, Store, StoreResult};
use crate::clock::Clock;

/// Seconds between background sweeps of the memory store.
const MEMORY_SWEEP_SECONDS: u64 = 60;

/// Opens the configured store: memory, the SQLite file (created and migrated), or a Redis
/// connection (made on first use; [`super::Maintenance::ping`] checks it). Memory and SQLite
/// get a background sweep of expired records when a Tokio runtime is running; Redis expires
/// keys itself.
///
/// # Errors
///
/// The SQLite file cannot be opened or migrated, or its encryption setting differs; the Redis
/// address is malformed; the backend's feature (`sqlite`, `redis`) is off in this build.
pub fn open(storage: &TokenStorage, clock: &Clock) -> StoreResult<Arc<dyn Store>> {
    let (store, sweep): (Arc<dyn Store>, Option<u64>) = match storage {
        TokenStorage::Memory => (
            Arc::new(MemoryStore::new(clock.clone())),
            Some(MEMORY_SWEEP_SECONDS),
        ),
        #[cfg(feature = "sqlite")]
        TokenStorage::Sqlite(sqlite) => {
            let options = SqliteOptions {
                path: sqlite.path.clone().into(),
                wal_mode: sqlite.wal_mode,
                codec: match &sqlite.encryption {
                    Some(encryption) => super::Codec::encrypted(encryption.secret.expose()),
                    None => super::Codec::plain(),
                },
            };
            let interval = sqlite.ttl_cleanup_interval;
            (
                Arc::new(SqliteStore::open(&options, clock.clone())?),
                (interval > 0).then_some(interval),
            )
        }
        #[cfg(feature = "redis")]
        TokenStorage::Redis(redis) => {
            let options = RedisOptions {
                host: redis.host.clone(),
                port: redis.port,
                password: redis.password.as_ref().map(|p| p.expose().to_owned()),
                db: redis.db,
                tls: redis.tls,
                key_prefix: redis.key_prefix.clone(),
                cluster: redis.cluster.clone(),
            };
            (
                Arc::new(RedisStore::connect(&options, clock.clone())?),
                None,
            )
        }
        #[cfg(not(feature = "sqlite"))]
        TokenStorage::Sqlite(_) => return Err(compiled_out("sqlite")),
        #[cfg(not(feature = "redis"))]
        TokenStorage::Redis(_) => return Err(compiled_out("redis")),
    };
    if let Some(seconds) = sweep {
        spawn_sweeper(&store, Duration::from_secs(seconds));
    }
    Ok(store)
}

/// The error for a backend whose feature this build was compiled without (start-up checks the
/// configuration first and lists it as `feature_not_compiled`).
#[cfg(not(all(feature = "sqlite", feature = "redis")))]
fn compiled_out(feature: &str) -> super::StoreError {
    super::StoreError::Unavailable(format!(
        "the {feature} store needs the `{feature}` feature of frontmcp-auth, which this build was compiled without"
    ))
}

/// Sweeps `store` every `interval` on the current Tokio runtime, until the store is dropped.
/// Does nothing outside a runtime.
pub fn spawn_sweeper(store: &Arc<dyn Store>, interval: Duration) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let store: Weak<dyn Store> = Arc::downgrade(store);
    runtime.spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let Some(store) = store.upgrade() else {
                return;
            };
            match store.sweep_expired().await {
                Ok(removed) if removed > 0 => tracing::debug!(
                    target: "frontmcp_auth::store",
                    backend = store.backend(),
                    removed,
                    "swept expired records"
                ),
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(target: "frontmcp_auth::store", "sweep failed: {error}");
                }
            }
        }
    });
}
