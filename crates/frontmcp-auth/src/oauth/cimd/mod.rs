//! Client ID Metadata Documents: a `client_id` that is an https URL names a JSON document
//! describing the client. Fetched with a timeout, a size cap and an SSRF guard (no private,
//! loopback or link-local targets, checked on the addresses actually connected to), and cached
//! as the document's `Cache-Control` allows, up to `cimd.max_cache_seconds`.

mod document;
mod guard;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use url::Url;

use super::redirect_uri::{allowed_by, is_loopback_host};
use crate::clock::Clock;
use crate::store::{ClientAuthMethod, ClientRecord, ClientSource};
use crate::upstream::{JwksCache, JwksOptions, JwksSource, keys_from_jwks};
use document::{DocumentKeys, client_from_document};
use frontmcp_auth_config::CimdConfig;
use guard::GuardedResolver;
pub use guard::is_public;

/// Documents cached at most this many at once.
const MAX_CACHED: usize = 1024;
/// Cache lifetime when the document sends no `Cache-Control`.
const DEFAULT_CACHE_SECONDS: u64 = 300;

/// Whether `client_id` has the shape of a metadata document URL (as opposed to an opaque id).
pub fn is_document_url(client_id: &str) -> bool {
    client_id.starts_with("https://") || client_id.starts_with("http://")
}

/// Seconds a refused or failed document is remembered, so a flood of requests naming it does
/// not become a flood of fetches.
const FAILURE_SECONDS: u64 = 30;

/// A fetch under way, shared by the requests that wait for it.
type Flight = Arc<tokio::sync::OnceCell<Result<(ClientRecord, u64), String>>>;

/// Fetches and caches Client ID Metadata Documents.
pub struct MetadataDocuments {
    config: CimdConfig,
    enabled: bool,
    redirect_allowlist: Vec<String>,
    client: Option<reqwest::Client>,
    cache: Mutex<HashMap<String, (ClientRecord, u64)>>,
    failures: Mutex<HashMap<String, (String, u64)>>,
    flights: Mutex<HashMap<String, Flight>>,
    keys: Mutex<HashMap<String, (Arc<JwksCache>, u64)>>,
    clock: Clock,
}

impl MetadataDocuments {
    /// Documents fetched as `config` says; `production` (the profile) turns them off unless
    /// `allowed_hosts` names trusted hosts; their redirect URIs must pass `redirect_allowlist`
    /// (`dcr.allowed_redirect_uris`: empty allows loopback only), as registered clients' do.
    pub fn with_policy(
        config: &CimdConfig,
        production: bool,
        redirect_allowlist: &[String],
        clock: Clock,
    ) -> Self {
        let mut documents = Self::new(config, clock);
        documents.enabled = config.effective(production);
        documents.redirect_allowlist = redirect_allowlist.to_vec();
        documents
    }

    /// Documents fetched as `config` says.
    pub fn new(config: &CimdConfig, clock: Clock) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.fetch_timeout_seconds))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver {
                allow_private: config.allow_private_targets,
            }))
            .build()
            .ok();
        Self {
            config: config.clone(),
            enabled: config.enabled,
            redirect_allowlist: Vec::new(),
            client,
            cache: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            flights: Mutex::new(HashMap::new()),
            keys: Mutex::new(HashMap::new()),
            clock,
        }
    }

    fn keep_keys(&self, client_id: &str, keys: Vec<crate::upstream::VerifyKey>, now: u64) {
        let cache = Arc::new(JwksCache::new(
            JwksSource::Inline(keys),
            crate::upstream::HttpFetcher::default(),
            JwksOptions::default(),
            self.clock.clone(),
        ));
        if let Ok(mut all) = self.keys.lock() {
            if all.len() >= MAX_CACHED && !all.contains_key(client_id) {
                all.retain(|_, (_, until)| *until > now);
            }
            if all.len() < MAX_CACHED {
                all.insert(
                    client_id.to_owned(),
                    (cache, now + self.config.max_cache_seconds.max(1)),
                );
            }
        }
    }

    /// The keys of a document's client that authenticates with `private_key_jwt` (kept for
    /// `cimd.max_cache_seconds` after its document was read; never fetched here).
    pub(crate) fn keys(&self, client_id: &str) -> Option<Arc<JwksCache>> {
        let now = self.clock.now();
        let all = self.keys.lock().ok()?;
        all.get(client_id)
            .filter(|(_, until)| *until > now)
            .map(|(keys, _)| keys.clone())
    }

    /// Whether URL client ids are accepted.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    fn cached(&self, client_id: &str, now: u64) -> Option<Result<ClientRecord, String>> {
        if let Ok(cache) = self.cache.lock()
            && let Some((record, until)) = cache.get(client_id)
            && *until > now
        {
            return Some(Ok(record.clone()));
        }
        if let Ok(failures) = self.failures.lock()
            && let Some((reason, until)) = failures.get(client_id)
            && *until > now
        {
            return Some(Err(reason.clone()));
        }
        None
    }

    fn remember_failure(&self, client_id: &str, reason: &str, now: u64) {
        if let Ok(mut failures) = self.failures.lock() {
            if failures.len() >= MAX_CACHED {
                failures.retain(|_, (_, until)| *until > now);
            }
            if failures.len() < MAX_CACHED {
                failures.insert(
                    client_id.to_owned(),
                    (reason.to_owned(), now + FAILURE_SECONDS),
                );
            }
        }
    }

    /// The client of a URL client id at the token, revocation and introspection endpoints:
    /// never fetched there. The cached record, else a public client of that id (documents only
    /// describe public clients, and its codes and refresh tokens are bound to it).
    ///
    /// # Errors
    ///
    /// Why the URL is refused (documents off, host not trusted, a private address).
    pub fn known(&self, client_id: &str) -> Result<ClientRecord, String> {
        self.check_enabled()?;
        self.check_url(client_id)?;
        let now = self.clock.now();
        match self.cached(client_id, now) {
            Some(Ok(record)) => Ok(record),
            _ => Ok(ClientRecord {
                client_id: client_id.to_owned(),
                secret_hash: None,
                name: None,
                redirect_uris: Vec::new(),
                auth_method: ClientAuthMethod::None,
                scope: None,
                source: ClientSource::MetadataDocument,
                created_at: now,
                keep_until: None,
                registration_token_hash: None,
            }),
        }
    }

    fn check_enabled(&self) -> Result<(), String> {
        if self.enabled {
            return Ok(());
        }
        Err(if self.config.enabled {
            String::from(
                "URL client ids are off under the production profile unless cimd.allowed_hosts lists the hosts whose documents are trusted",
            )
        } else {
            String::from(
                "URL client ids (Client ID Metadata Documents) are disabled on this server",
            )
        })
    }

    /// The client a document URL describes: fetched once for all concurrent requests, cached
    /// as the document allows; a refusal is remembered for 30 seconds.
    ///
    /// # Errors
    ///
    /// Why the URL or its document is refused, for the error page.
    pub async fn resolve(&self, client_id: &str) -> Result<ClientRecord, String> {
        self.check_enabled()?;
        let url = self.check_url(client_id)?;
        let now = self.clock.now();
        if let Some(known) = self.cached(client_id, now) {
            return known;
        }
        // One fetch per document at a time: concurrent requests share its outcome.
        let flight = {
            let Ok(mut flights) = self.flights.lock() else {
                return Err(String::from("the document cache is unavailable"));
            };
            if flights.len() >= MAX_CACHED && !flights.contains_key(client_id) {
                flights.retain(|_, cell| Arc::strong_count(cell) > 1);
            }
            flights.entry(client_id.to_owned()).or_default().clone()
        };
        let outcome = flight
            .get_or_init(|| async {
                let (document, max_age) = self.fetch(url).await?;
                let record = self.client_from_document(client_id, &document, now).await?;
                Ok((record, max_age))
            })
            .await
            .clone();
        if let Ok(mut flights) = self.flights.lock()
            && flights
                .get(client_id)
                .is_some_and(|cell| Arc::ptr_eq(cell, &flight))
        {
            flights.remove(client_id);
        }
        let (record, max_age) = match outcome {
            Ok(found) => found,
            Err(reason) => {
                self.remember_failure(client_id, &reason, now);
                return Err(reason);
            }
        };
        let keep = max_age.min(self.config.max_cache_seconds);
        if keep > 0
            && let Ok(mut cache) = self.cache.lock()
        {
            if cache.len() >= MAX_CACHED {
                cache.retain(|_, (_, until)| *until > now);
            }
            if cache.len() < MAX_CACHED {
                cache.insert(client_id.to_owned(), (record.clone(), now + keep));
            }
        }
        Ok(record)
    }

    /// A document's client, with its redirect URIs held to the registration allowlist, and its
    /// keys kept for `private_key_jwt` (a `jwks_uri` fetched here, through the same guard).
    async fn client_from_document(
        &self,
        client_id: &str,
        document: &serde_json::Value,
        now: u64,
    ) -> Result<ClientRecord, String> {
        let (record, keys) = client_from_document(client_id, document, now)?;
        let jwks = match keys {
            DocumentKeys::Public => None,
            DocumentKeys::Inline(jwks) => Some(jwks),
            DocumentKeys::Uri(uri) => {
                let url = self
                    .check_url(&uri)
                    .map_err(|e| format!("the document's jwks_uri is refused: {e}"))?;
                Some(self.fetch(url).await?.0)
            }
        };
        if let Some(jwks) = jwks {
            let keys = keys_from_jwks(&jwks);
            if keys.is_empty() {
                return Err(String::from(
                    "the client metadata document's keys hold no usable public key",
                ));
            }
            self.keep_keys(client_id, keys, now);
        }
        if let Some(uri) = record
            .redirect_uris
            .iter()
            .find(|uri| !allowed_by(&self.redirect_allowlist, uri))
        {
            return Err(if self.redirect_allowlist.is_empty() {
                format!(
                    "the client metadata document lists `{uri}`: only loopback redirect URIs are accepted here (dcr.allowed_redirect_uris is empty)"
                )
            } else {
                format!(
                    "the client metadata document lists `{uri}`, not in dcr.allowed_redirect_uris"
                )
            });
        }
        Ok(record)
    }

    fn check_url(&self, client_id: &str) -> Result<Url, String> {
        let url = Url::parse(client_id).map_err(|_| String::from("the client id is not a URL"))?;
        if !url
            .host_str()
            .is_some_and(|host| self.config.host_allowed(host))
        {
            return Err(String::from(
                "the client id's host is not in cimd.allowed_hosts",
            ));
        }
        let loopback_http = url.scheme() == "http"
            && self.config.allow_private_targets
            && url.host_str().is_some_and(is_loopback_host);
        if url.scheme() != "https" && !loopback_http {
            return Err(String::from("a URL client id must use https"));
        }
        if url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
            return Err(String::from(
                "a URL client id must not have a fragment or credentials",
            ));
        }
        if url.path() == "/" || url.path().is_empty() {
            return Err(String::from("a URL client id must have a path"));
        }
        if client_id.contains("/./") || client_id.contains("/../") {
            return Err(String::from("a URL client id must not have dot segments"));
        }
        if let Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) = url.host()
            && let Some(ip) = url.host_str().and_then(|h| {
                h.trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<IpAddr>()
                    .ok()
            })
            && !self.config.allow_private_targets
            && !is_public(ip)
        {
            return Err(String::from(
                "the client id points at a private, loopback or link-local address",
            ));
        }
        Ok(url)
    }

    async fn fetch(&self, url: Url) -> Result<(serde_json::Value, u64), String> {
        let client = self
            .client
            .as_ref()
            .ok_or_else(|| String::from("the HTTP client could not be built"))?;
        let mut response = client
            .get(url)
            .header(http::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| {
                format!(
                    "the client metadata document could not be fetched: {}",
                    without_url(&e)
                )
            })?;
        if !response.status().is_success() {
            return Err(format!(
                "the client metadata document answered HTTP {}",
                response.status().as_u16()
            ));
        }
        let max_age = cache_seconds(response.headers());
        let limit = usize::try_from(self.config.max_document_bytes).unwrap_or(usize::MAX);
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| {
            format!(
                "reading the client metadata document failed: {}",
                without_url(&e)
            )
        })? {
            if body.len() + chunk.len() > limit {
                return Err(format!(
                    "the client metadata document is larger than {limit} bytes"
                ));
            }
            body.extend_from_slice(&chunk);
        }
        let document = serde_json::from_slice(&body)
            .map_err(|_| String::from("the client metadata document is not valid JSON"))?;
        Ok((document, max_age))
    }
}

fn without_url(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        String::from("timed out")
    } else if error.is_connect() {
        String::from("connection refused or the address is not allowed")
    } else {
        String::from("transport error")
    }
}

/// Seconds the response may be cached: `max-age`, zero for `no-store`/`no-cache`.
fn cache_seconds(headers: &http::HeaderMap) -> u64 {
    let Some(value) = headers
        .get(http::header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
    else {
        return DEFAULT_CACHE_SECONDS;
    };
    let mut max_age = DEFAULT_CACHE_SECONDS;
    for directive in value.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return 0;
        }
        if let Some(seconds) = lower.strip_prefix("max-age=") {
            max_age = seconds.trim_matches('"').parse().unwrap_or(0);
        }
    }
    max_age
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn urls_pointing_inside_are_refused_before_any_fetch() {
        let documents = MetadataDocuments::new(&CimdConfig::default(), Clock::manual(1));
        for url in [
            "http://client.example.com/meta.json",
            "https://127.0.0.1/meta.json",
            "https://[::1]/meta.json",
            "https://client.example.com/",
            "https://user:pw@client.example.com/meta.json",
            "https://client.example.com/a/../meta.json#x",
        ] {
            assert!(documents.resolve(url).await.is_err(), "{url}");
        }
        let localhost = documents.resolve("https://localhost/meta.json").await;
        assert!(localhost.is_err(), "localhost resolves to loopback only");
    }

    #[tokio::test]
    async fn under_production_only_allowed_hosts_are_trusted() {
        let config = CimdConfig::default();
        let production = MetadataDocuments::with_policy(&config, true, &[], Clock::manual(1));
        assert!(!production.enabled());
        let refused = production
            .resolve("https://client.example.com/meta.json")
            .await
            .expect_err("off");
        assert!(refused.contains("cimd.allowed_hosts"), "{refused}");
        let listed = CimdConfig {
            allowed_hosts: vec!["*.example.com".into(), "tools.example.org".into()],
            ..CimdConfig::default()
        };
        let documents = MetadataDocuments::with_policy(&listed, true, &[], Clock::manual(1));
        assert!(documents.enabled());
        assert!(listed.host_allowed("app.example.com"));
        assert!(listed.host_allowed("TOOLS.example.org"));
        assert!(!listed.host_allowed("example.com.evil.net"));
        assert!(!listed.host_allowed("evil.org"));
        let elsewhere = documents
            .resolve("https://evil.org/meta.json")
            .await
            .expect_err("not listed");
        assert!(
            elsewhere.contains("not in cimd.allowed_hosts"),
            "{elsewhere}"
        );
        assert!(documents.known("https://evil.org/meta.json").is_err());
        let known = documents
            .known("https://app.example.com/meta.json")
            .expect("a public client of that id, without a fetch");
        assert_eq!(known.source, ClientSource::MetadataDocument);
    }

    #[test]
    fn cache_lifetime_follows_cache_control() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(cache_seconds(&headers), DEFAULT_CACHE_SECONDS);
        headers.insert(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("public, max-age=120"),
        );
        assert_eq!(cache_seconds(&headers), 120);
        headers.insert(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-store"),
        );
        assert_eq!(cache_seconds(&headers), 0);
    }
}
