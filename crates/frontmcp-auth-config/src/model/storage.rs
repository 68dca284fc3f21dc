//! `token_storage(...)`: memory, SQLite or Redis.

use serde::Serialize;

use crate::Secret;

/// Where tokens, codes, clients and sessions are kept.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TokenStorage {
    /// In process memory: lost on restart, one instance only. The default.
    #[default]
    Memory,
    /// An embedded SQLite file.
    Sqlite(SqliteConfig),
    /// A Redis server shared by every instance.
    Redis(RedisConfig),
}

impl TokenStorage {
    /// The backend's name as written in configuration.
    pub fn kind(&self) -> &'static str {
        match self {
            TokenStorage::Memory => "memory",
            TokenStorage::Sqlite(_) => "sqlite",
            TokenStorage::Redis(_) => "redis",
        }
    }
}

/// `sqlite(path, wal_mode, ttl_cleanup_interval, encryption)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SqliteConfig {
    /// Database file. Default: `"frontmcp-auth.db"`.
    pub path: String,
    /// Use write-ahead logging. Default: `true`.
    pub wal_mode: bool,
    /// Seconds between sweeps of expired rows. Default: `60`.
    pub ttl_cleanup_interval: u64,
    /// Encryption of values at rest. Default: absent (values stored in clear, secrets hashed).
    pub encryption: Option<SqliteEncryption>,
}

impl Default for SqliteConfig {
    fn default() -> Self {
        Self {
            path: "frontmcp-auth.db".to_owned(),
            wal_mode: true,
            ttl_cleanup_interval: 60,
            encryption: None,
        }
    }
}

/// `encryption(secret)` of SQLite values at rest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SqliteEncryption {
    /// The key material values are encrypted with. Required.
    pub secret: Secret,
}

/// `redis(host, port, password, db, tls, key_prefix, cluster)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RedisConfig {
    /// Host name or address. Required (also `REDIS_HOST`).
    pub host: String,
    /// Port. Default: `6379` (also `REDIS_PORT`).
    pub port: u16,
    /// Password. Default: absent (also `REDIS_PASSWORD`).
    pub password: Option<Secret>,
    /// Database number. Default: `0`.
    pub db: u32,
    /// Connect over TLS. Default: `false` (the production profile asks for it unless
    /// `private_network` acknowledges a network only this server's instances reach).
    pub tls: bool,
    /// Acknowledges that Redis is reached over a private network, so the production profile
    /// accepts it without TLS. Default: `false`.
    pub private_network: bool,
    /// Prefix of every key. Default: `"frontmcp:auth:"`.
    pub key_prefix: String,
    /// Seed nodes of a Redis Cluster (`["10.0.0.1:6379", "10.0.0.2:6379"]`), instead of `host`
    /// and `port`; the client learns the other nodes and the slots from them. Default: empty
    /// (one server).
    pub cluster: Vec<String>,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            host: String::new(),
            port: 6379,
            password: None,
            db: 0,
            tls: false,
            private_network: false,
            key_prefix: "frontmcp:auth:".to_owned(),
            cluster: Vec::new(),
        }
    }
}
