//! Remote mode against a real OpenID provider (node `oidc-provider`, `tests/node/remote-idp.mjs`)
//! on loopback, and a browser that signs in on its pages: cookies per origin, redirects followed
//! by hand so a test can stop at our upstream callback and tamper with it.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use frontmcp_auth::Clock;
use frontmcp_auth::ServerDefinition;
use frontmcp_auth::store::{MemoryStore, Store};
use frontmcp_auth_testkit::{Process, start_node};
use serde_json::{Value, json};
use url::Url;

use super::apps::UpstreamApp;
use super::local::{Local, Reply, SECRET, VERIFIER, authorize_path, form};

/// This server's client at the provider (`remote-idp.mjs`).
pub const CLIENT_ID: &str = "mcp-remote";
pub const CLIENT_SECRET: &str = "mcp-remote-secret";
/// The vault key of every instance in these tests.
pub const VAULT_KEY: &str = "a-vault-key-of-at-least-32-characters-0123";

/// The wall-clock time: the provider's tokens carry real `iat` and `exp`.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The provider, killed on drop.
pub struct Idp {
    _process: Process,
    pub issuer: String,
    http: reqwest::Client,
}

impl Idp {
    /// Starts a provider whose access tokens live `access_ttl` seconds.
    pub fn start(access_ttl: u64) -> Idp {
        let process = start_node("remote-idp.mjs", &[&access_ttl.to_string()], "ISSUER ");
        let issuer = process.line.trim_start_matches("ISSUER ").trim().to_owned();
        Idp {
            _process: process,
            issuer,
            http: reqwest::Client::new(),
        }
    }

    async fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.issuer))
            .send()
            .await
            .expect("idp")
            .json()
            .await
            .expect("json")
    }

    /// Grants, userinfo calls and revocations so far.
    pub async fn stats(&self) -> Value {
        self.get("/__test/stats").await
    }

    /// Every token value the provider issued.
    pub async fn issued(&self) -> Vec<String> {
        serde_json::from_value(self.get("/__test/tokens").await).expect("tokens")
    }

    /// Ends every grant: the next upstream refresh is refused with `invalid_grant`.
    pub async fn end_grants(&self) {
        let status = self
            .http
            .post(format!("{}/__test/end-grants", self.issuer))
            .send()
            .await
            .expect("end grants")
            .status();
        assert_eq!(status.as_u16(), 204);
    }
}

/// A remote-mode definition for `provider` with `auth` merged over it, serving
/// [`UpstreamApp`].
pub fn definition(provider: &str, auth: Value) -> ServerDefinition {
    definition_with(provider, auth, json!({}))
}

/// As [`definition`], with the top-level sections of `top` (`http`, `security`, ...).
pub fn definition_with(provider: &str, auth: Value, top: Value) -> ServerDefinition {
    let mut merged = json!({
        "mode": "remote",
        "provider": provider,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "vault_key": VAULT_KEY,
        "local": {"jwt_secret": SECRET},
    });
    if let (Some(base), Some(extra)) = (merged.as_object_mut(), auth.as_object()) {
        for (key, value) in extra {
            // `null` removes a default of these tests (`"vault_key": null`).
            if value.is_null() {
                base.remove(key);
            } else {
                base.insert(key.clone(), value.clone());
            }
        }
    }
    let mut sections = json!({ "auth": merged });
    if let (Some(base), Some(extra)) = (sections.as_object_mut(), top.as_object()) {
        for (key, value) in extra {
            base.insert(key.clone(), value.clone());
        }
    }
    ServerDefinition::new("RemoteTest")
        .with_base(sections)
        .app::<UpstreamApp>("upstream")
}

/// Starts a remote-mode server for `provider` on a memory store, with a manual clock at the
/// wall-clock time.
pub async fn start(provider: &str, auth: Value) -> Local {
    start_with(provider, auth, json!({})).await
}

/// As [`start`], with the top-level sections of `top` (`security`, `http`, ...).
pub async fn start_with(provider: &str, auth: Value, top: Value) -> Local {
    let clock = Clock::manual(now());
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new(clock.clone()));
    Local::start_with_store(&definition_with(provider, auth, top), &[], clock, store).await
}

/// The loaded `auth` of a remote-mode server for `provider` with `auth` merged over it (no
/// file, no environment).
pub fn auth_config(provider: &str, auth: Value) -> frontmcp_auth::rules::AuthConfig {
    definition(provider, auth)
        .loader()
        .env(frontmcp_auth::config::Environment::from_pairs::<&str, &str>([]))
        .file(frontmcp_auth::config::FileChoice::None)
        .load()
        .expect("a valid remote configuration")
        .config
        .auth
        .expect("auth")
}

/// A browser: cookies kept per origin, redirects followed by hand.
#[derive(Default)]
pub struct Browser {
    jar: Mutex<HashMap<String, Vec<(String, String)>>>,
}

/// Where a walk ended.
#[derive(Debug)]
pub enum Walk {
    /// At a URL the walk was told to stop at (not fetched).
    Stopped(Url),
    /// At a page that is not a redirect.
    Page(Url, Reply),
}

impl Browser {
    fn http() -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    fn cookies(&self, url: &Url) -> String {
        let jar = self.jar.lock().expect("jar");
        jar.get(&url.origin().ascii_serialization())
            .map(|c| {
                c.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default()
    }

    fn keep(&self, url: &Url, headers: &reqwest::header::HeaderMap) {
        let mut jar = self.jar.lock().expect("jar");
        let cookies = jar.entry(url.origin().ascii_serialization()).or_default();
        for line in headers.get_all("set-cookie").iter() {
            let Some((name, value)) = line
                .to_str()
                .ok()
                .and_then(|l| l.split(';').next())
                .and_then(|pair| pair.split_once('='))
            else {
                continue;
            };
            cookies.retain(|(n, _)| n != name.trim());
            cookies.push((name.trim().to_owned(), value.to_owned()));
        }
    }

    /// The cookies this browser holds for `url`'s origin, as a `Cookie` header.
    pub fn cookie_header(&self, url: &Url) -> String {
        self.cookies(url)
    }

    /// One request with this browser's cookies for `url`'s origin.
    pub async fn fetch(&self, method: &str, url: &Url, body: Option<String>) -> Reply {
        let http = Self::http();
        let mut request = match method {
            "POST" => http.post(url.clone()),
            _ => http.get(url.clone()),
        };
        let cookies = self.cookies(url);
        if !cookies.is_empty() {
            request = request.header("cookie", cookies);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body);
        }
        let response = request.send().await.expect("request");
        self.keep(url, response.headers());
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        Reply {
            status,
            headers,
            text,
        }
    }

    /// Follows redirects from `start` until a URL `stop` accepts, or a page.
    pub async fn walk(
        &self,
        start: Url,
        method: &str,
        body: Option<String>,
        stop: &dyn Fn(&Url) -> bool,
    ) -> Walk {
        let (mut url, mut method, mut body) = (start, method.to_owned(), body);
        for _ in 0..20 {
            if stop(&url) {
                return Walk::Stopped(url);
            }
            let reply = self.fetch(&method, &url, body.take()).await;
            match reply.header("location") {
                Some(location) if (300..400).contains(&reply.status) => {
                    url = url.join(location).expect("location");
                    method = String::from("GET");
                }
                _ => return Walk::Page(url, reply),
            }
        }
        panic!("more than 20 redirects");
    }

    /// At the provider, from its authorization URL: signs in as `login` and allows (or
    /// denies) access, until the provider redirects to `callback`; returns that URL unfetched.
    pub async fn upstream_round(&self, start: Url, login: &str, allow: bool) -> Url {
        let is_callback = |url: &Url| {
            url.path().contains("/oauth/provider/") && url.path().ends_with("/callback")
        };
        let mut walk = self.walk(start, "GET", None, &is_callback).await;
        for _ in 0..4 {
            let (page, reply) = match walk {
                Walk::Stopped(url) => return url,
                Walk::Page(page, reply) => (page, reply),
            };
            let (action, body) = if reply.text.contains("name=\"password\"") {
                let action = attribute(&reply.text, "<form method=\"post\" action=\"");
                let password = format!("{login}-password");
                (action, form(&[("login", login), ("password", &password)]))
            } else if reply.text.contains("id=\"allow\"") {
                let ending = if allow { "/confirm" } else { "/abort" };
                let action = reply
                    .text
                    .split("action=\"")
                    .skip(1)
                    .filter_map(|rest| rest.split('"').next())
                    .find(|a| a.ends_with(ending))
                    .expect("consent form")
                    .to_owned();
                (action, String::new())
            } else {
                panic!("unexpected page {page}: {} {}", reply.status, reply.text);
            };
            let target = page.join(&action).expect("action");
            walk = self.walk(target, "POST", Some(body), &is_callback).await;
        }
        panic!("the provider never redirected back");
    }
}

fn attribute(html: &str, marker: &str) -> String {
    let start = html.find(marker).expect("marker") + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// One sign-in under way: a registered client, its browser, the provider's URL.
pub struct SignIn {
    pub client_id: String,
    pub browser: Browser,
    pub upstream: Url,
}

impl SignIn {
    /// Registers a client and opens `/oauth/authorize` in a fresh browser: our server must
    /// redirect it to the provider.
    pub async fn begin(local: &Local) -> SignIn {
        let client_id = local.public_client().await;
        Self::begin_for(local, &client_id).await
    }

    /// As [`Self::begin`] for an existing client.
    pub async fn begin_for(local: &Local, client_id: &str) -> SignIn {
        let browser = Browser::default();
        let url =
            Url::parse(&local.url(&authorize_path(client_id, &[("state", "client-state-123")])))
                .expect("url");
        let reply = browser.fetch("GET", &url, None).await;
        assert_eq!(reply.status, 302, "{}", reply.text);
        let upstream = Url::parse(reply.header("location").expect("location")).expect("upstream");
        SignIn {
            client_id: client_id.to_owned(),
            browser,
            upstream,
        }
    }

    /// Signs in at the provider as `login`, allowing access; returns our callback URL.
    pub async fn at_provider(&self, login: &str) -> Url {
        self.browser
            .upstream_round(self.upstream.clone(), login, true)
            .await
    }

    /// Opens `callback` in this browser (our server's answer).
    pub async fn finish(&self, callback: &Url) -> Reply {
        self.browser.fetch("GET", callback, None).await
    }
}

/// The whole sign-in as `login` for a new client: `(client_id, token response)`.
pub async fn tokens(local: &Local, login: &str) -> (String, Value) {
    let sign_in = SignIn::begin(local).await;
    let mut callback = sign_in.at_provider(login).await;
    // Behind a shared public URL the provider sends the browser there: this instance.
    let port = Url::parse(&local.base()).expect("base").port();
    callback.set_port(port).expect("port");
    let done = sign_in.finish(&callback).await;
    assert_eq!(done.status, 302, "{}", done.text);
    let code = done.location_param("code").expect("code");
    let reply = local.exchange(&sign_in.client_id, &code, VERIFIER).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    (sign_in.client_id, reply.json())
}
