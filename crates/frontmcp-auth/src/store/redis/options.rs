//! Where the Redis store connects: host, port, credentials, database, TLS and key prefix.

use super::unavailable;
use crate::store::StoreResult;

/// Options of [`super::RedisStore::connect`], from `token_storage.redis`. Needs the `redis`
/// feature.
#[derive(Clone)]
pub struct RedisOptions {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Password (`AUTH`).
    pub password: Option<String>,
    /// Database number.
    pub db: u32,
    /// Connect over TLS (rustls, the system's roots).
    pub tls: bool,
    /// Prefix of every key.
    pub key_prefix: String,
    /// Seed nodes (`host:port`) of a Redis Cluster; empty for one server (`host`, `port`).
    pub cluster: Vec<String>,
}

impl std::fmt::Debug for RedisOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisOptions")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("db", &self.db)
            .field("tls", &self.tls)
            .field("key_prefix", &self.key_prefix)
            .field("cluster", &self.cluster)
            .finish()
    }
}

impl RedisOptions {
    pub(super) fn url(&self) -> StoreResult<url::Url> {
        self.node_url(&self.host, self.port, Some(self.db))
    }

    /// One URL per seed node of the cluster (database 0, the only one a cluster has).
    pub(super) fn cluster_urls(&self) -> StoreResult<Vec<url::Url>> {
        self.cluster
            .iter()
            .map(|node| {
                let (host, port) = split_node(node)?;
                self.node_url(host, port, None)
            })
            .collect()
    }

    /// Where this store is, for messages: `host:port/db`, or the cluster's seed nodes.
    pub(super) fn describe(&self) -> String {
        if self.cluster.is_empty() {
            format!("{}:{}/{}", self.host, self.port, self.db)
        } else {
            format!("cluster {}", self.cluster.join(","))
        }
    }

    fn node_url(&self, host: &str, port: u16, db: Option<u32>) -> StoreResult<url::Url> {
        let scheme = if self.tls { "rediss" } else { "redis" };
        let path = db.map(|db| db.to_string()).unwrap_or_default();
        let mut url = url::Url::parse(&format!("{scheme}://placeholder/{path}"))
            .map_err(|e| unavailable(format!("redis address: {e}")))?;
        url.set_host(Some(host))
            .map_err(|e| unavailable(format!("redis host {host:?}: {e}")))?;
        url.set_port(Some(port))
            .map_err(|()| unavailable("redis port"))?;
        if let Some(password) = &self.password {
            url.set_password(Some(password))
                .map_err(|()| unavailable("redis password"))?;
        }
        Ok(url)
    }
}

/// `host:port` (an IPv6 address in brackets) of a cluster seed node.
fn split_node(node: &str) -> StoreResult<(&str, u16)> {
    let (host, port) = node
        .rsplit_once(':')
        .ok_or_else(|| unavailable(format!("redis cluster node {node:?}: expected host:port")))?;
    let port = port
        .parse()
        .map_err(|_| unavailable(format!("redis cluster node {node:?}: bad port")))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(unavailable(format!("redis cluster node {node:?}: no host")));
    }
    Ok((host, port))
}
