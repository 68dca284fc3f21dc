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
            .finish()
    }
}

impl RedisOptions {
    pub(super) fn url(&self) -> StoreResult<url::Url> {
        let scheme = if self.tls { "rediss" } else { "redis" };
        let mut url = url::Url::parse(&format!("{scheme}://placeholder/{}", self.db))
            .map_err(|e| unavailable(format!("redis address: {e}")))?;
        url.set_host(Some(&self.host))
            .map_err(|e| unavailable(format!("redis host {:?}: {e}", self.host)))?;
        url.set_port(Some(self.port))
            .map_err(|()| unavailable("redis port"))?;
        if let Some(password) = &self.password {
            url.set_password(Some(password))
                .map_err(|()| unavailable("redis password"))?;
        }
        Ok(url)
    }
}
