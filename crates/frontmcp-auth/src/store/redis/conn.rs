//! The connection: to one Redis server (a reconnecting manager) or to a Redis Cluster (which
//! follows `MOVED` and `ASK`, learns the slots again after a failover, and reconnects to each
//! node by itself). Both are lazy: the first call connects.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClientBuilder, ClusterConfig};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};
use redis::{Cmd, Pipeline, RedisFuture, Value};

use super::{RedisOptions, unavailable};
use crate::store::StoreResult;

const CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(1500);

/// One connection handle, cheap to clone; every clone shares the same sockets.
#[derive(Clone)]
pub(super) enum Conn {
    /// One server.
    Single(ConnectionManager),
    /// A cluster: each key goes to the node serving its slot; and the replication waits.
    Cluster(ClusterConnection, Arc<Barriers>),
}

/// Coalesced replication waits, per slot. A `WAIT` covers every write the connection made to
/// that master before it, so the callers that need a slot's writes replicated while one `WAIT`
/// is out share the next one (a group commit), instead of queueing one each on the connection.
#[derive(Default)]
pub(super) struct Barriers {
    slots: std::sync::Mutex<HashMap<u16, Arc<Barrier>>>,
}

#[derive(Default)]
struct Barrier {
    /// Tickets handed out: one per caller, after its write was answered.
    requested: AtomicU64,
    /// Held while a `WAIT` is out; holds the highest ticket a finished `WAIT` covered, and how
    /// many replicas acknowledged it.
    covered: tokio::sync::Mutex<(u64, i64)>,
}

impl Barriers {
    fn of(&self, slot: u16) -> Arc<Barrier> {
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        slots.entry(slot).or_default().clone()
    }
}

impl Conn {
    /// Connects (lazily) to what `options` names.
    pub(super) fn open(options: &RedisOptions) -> StoreResult<Self> {
        if options.cluster.is_empty() {
            let client = redis::Client::open(options.url()?.as_str()).map_err(unavailable)?;
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(CONNECT_TIMEOUT))
                .set_response_timeout(Some(RESPONSE_TIMEOUT))
                .set_number_of_retries(2)
                .set_min_delay(Duration::from_millis(50))
                .set_max_delay(Duration::from_millis(400));
            let conn =
                ConnectionManager::new_lazy_with_config(client, config).map_err(unavailable)?;
            return Ok(Conn::Single(conn));
        }
        let nodes = options
            .cluster_urls()?
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>();
        let client = ClusterClientBuilder::new(nodes)
            .connection_timeout(CONNECT_TIMEOUT)
            .response_timeout(RESPONSE_TIMEOUT)
            .retries(4)
            .min_retry_wait(50)
            .max_retry_wait(400)
            .build()
            .map_err(unavailable)?;
        let config = ClusterConfig::new()
            .set_connection_timeout(CONNECT_TIMEOUT)
            .set_response_timeout(RESPONSE_TIMEOUT);
        Ok(Conn::Cluster(
            client.get_pending_async_connection_with_config(config),
            Arc::default(),
        ))
    }
}

/// How long a write on a cluster waits for its replica.
const REPLICA_WAIT_MS: u64 = 250;

impl Conn {
    /// On a cluster, waits (at most [`REPLICA_WAIT_MS`]) until the writes so far on the master
    /// serving `key` reached its replica, so that a failover keeps them; how many replicas
    /// acknowledged (`None` on one server, where there is nothing to wait for).
    pub(super) async fn wait_for_replica(&self, key: &str) -> redis::RedisResult<Option<i64>> {
        let Conn::Cluster(conn, barriers) = self else {
            return Ok(None);
        };
        let slot = slot(key.as_bytes());
        let barrier = barriers.of(slot);
        let ticket = barrier.requested.fetch_add(1, Ordering::AcqRel) + 1;
        let mut covered = barrier.covered.lock().await;
        if covered.0 >= ticket {
            // A `WAIT` sent after this caller's write already covered it.
            return Ok(Some(covered.1));
        }
        let upto = barrier.requested.load(Ordering::Acquire);
        let mut wait = redis::cmd("WAIT");
        wait.arg(1).arg(REPLICA_WAIT_MS);
        let route = Route::new(slot, SlotAddr::Master);
        let acknowledged = conn
            .clone()
            .route_command(
                wait,
                RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(route)),
            )
            .await?;
        let acknowledged: i64 = redis::from_redis_value(acknowledged)?;
        *covered = (upto, acknowledged);
        Ok(Some(acknowledged))
    }
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Single(conn) => conn.req_packed_command(cmd),
            Conn::Cluster(conn, _) => conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Conn::Single(conn) => conn.req_packed_commands(pipeline, offset, count),
            Conn::Cluster(conn, _) => conn.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Single(conn) => conn.get_db(),
            Conn::Cluster(conn, _) => conn.get_db(),
        }
    }
}

/// The cluster hash slot of `key`: CRC16 (XMODEM) of the key, or of its hash tag (the text
/// between the first `{` and the next `}`, when not empty), modulo 16384.
pub(super) fn slot(key: &[u8]) -> u16 {
    let tagged = key.iter().position(|&b| b == b'{').and_then(|open| {
        let rest = &key[open + 1..];
        let close = rest.iter().position(|&b| b == b'}')?;
        (close > 0).then(|| &rest[..close])
    });
    let mut crc: u16 = 0;
    for &byte in tagged.unwrap_or(key) {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc % 16384
}

#[cfg(test)]
mod tests {
    #[test]
    fn slots_follow_the_cluster_specification() {
        // Values from `CLUSTER KEYSLOT`.
        assert_eq!(super::slot(b"foo"), 12182);
        assert_eq!(super::slot(b"123456789"), 12739);
        assert_eq!(
            super::slot(b"{user1000}.following"),
            super::slot(b"user1000")
        );
        assert_eq!(super::slot(b"foo{}{bar}"), super::slot(b"foo{}{bar}"));
        assert_ne!(super::slot(b"foo{}{bar}"), super::slot(b"bar"));
    }
}
