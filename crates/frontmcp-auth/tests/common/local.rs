//! A local-mode server in process on a loopback port, with a manual clock, and a browser-like
//! HTTP client that walks the authorization flow.

#![allow(dead_code)]

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use frontmcp_auth::Clock;
use frontmcp_auth::ServerDefinition;
use frontmcp_auth::http::RouterOptions;
use frontmcp_auth::store::{MemoryStore, Store};
use serde_json::{Value, json};

use super::apps::MathApp;
use super::mcp::{Client, Running, start};

/// Where the test clock starts.
pub const START: u64 = 1_800_000_000;
/// The redirect URI of the test client.
pub const REDIRECT: &str = "http://127.0.0.1:7777/callback";
/// A PKCE verifier and its S256 challenge.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// A client registered in the configuration of [`definition_with`] (a dcr table in `auth`
/// replaces it): the only kind of client whose errors before login go back to its redirect
/// URI; a client registered dynamically gets a page instead (RFC 9700 §4.11.2).
pub const CONFIGURED: &str = "configured-client";
/// A JWT secret long enough.
pub const SECRET: &str = "0123456789abcdef0123456789abcdef-local";

/// A running local-mode server.
pub struct Local {
    pub running: Running,
    pub clock: Clock,
    pub http: reqwest::Client,
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|_| panic!("not JSON: {} {}", self.status, self.text))
    }

    /// The query parameters of the `Location` header.
    pub fn location_params(&self) -> Vec<(String, String)> {
        let location = self
            .header("location")
            .unwrap_or_else(|| panic!("no location: {} {}", self.status, self.text));
        let url = url::Url::parse(location).expect("absolute location");
        url.query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    pub fn location_param(&self, name: &str) -> Option<String> {
        self.location_params()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// A hidden input's value on an HTML page.
    pub fn field(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self
            .text
            .find(&marker)
            .unwrap_or_else(|| panic!("no field {name} in {}", self.text))
            + marker.len();
        self.text[start..]
            .split('"')
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    /// The `name=value` of every `Set-Cookie`.
    pub fn cookies(&self) -> String {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|c| c.split(';').next())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// A form body.
pub fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// The S256 challenge of `verifier`.
pub fn challenge_of(verifier: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// The claims of a JWT, unverified (the test inspects what the server put in).
pub fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("payload");
    let bytes = URL_SAFE_NO_PAD.decode(payload).expect("base64");
    serde_json::from_slice(&bytes).expect("claims")
}

/// A definition in local mode with `auth` merged over `{"mode": "local"}`.
pub fn definition(auth: Value) -> ServerDefinition {
    definition_with(auth, json!({}))
}

/// A definition in local mode with `auth` merged over `{"mode": "local"}` and the top-level
/// sections of `top` (`security`, `http`, ...) beside it.
pub fn definition_with(auth: Value, top: Value) -> ServerDefinition {
    let mut merged = json!({
        "mode": "local",
        "local": {"jwt_secret": SECRET},
        "dcr": {"clients": [{"client_id": CONFIGURED, "redirect_uris": [REDIRECT]}]},
    });
    if let (Some(base), Some(extra)) = (merged.as_object_mut(), auth.as_object()) {
        for (key, value) in extra {
            base.insert(key.clone(), value.clone());
        }
    }
    let mut sections = json!({ "auth": merged });
    if let (Some(base), Some(extra)) = (sections.as_object_mut(), top.as_object()) {
        for (key, value) in extra {
            base.insert(key.clone(), value.clone());
        }
    }
    ServerDefinition::new("LocalTest")
        .with_base(sections)
        .app::<MathApp>("math")
}

impl Local {
    /// Starts a server for `auth` (merged over local mode with an HS256 secret).
    pub async fn start(auth: Value) -> Local {
        Self::start_definition(&definition(auth), &[]).await
    }

    /// Starts `definition` with `env`.
    pub async fn start_definition(definition: &ServerDefinition, env: &[(&str, &str)]) -> Local {
        let clock = Clock::manual(START);
        let store = Arc::new(MemoryStore::new(clock.clone()));
        Self::start_with_store(definition, env, clock, store).await
    }

    /// Starts `definition` with `env` on `store`, whose expiries follow `clock`.
    pub async fn start_with_store(
        definition: &ServerDefinition,
        env: &[(&str, &str)],
        clock: Clock,
        store: Arc<dyn Store>,
    ) -> Local {
        let options = RouterOptions {
            clock: clock.clone(),
            store: Some(store),
            ..RouterOptions::default()
        };
        let running = start(definition, env, options).await;
        Self::attach(running, clock)
    }

    /// A client of a server `running` elsewhere, whose expiries follow `clock`.
    pub fn attach(running: Running, clock: Clock) -> Local {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Local {
            running,
            clock,
            http,
        }
    }

    /// Starts a server for `auth` whose password directory (in its memory store) holds
    /// `users`, each `(username, password)`.
    pub async fn start_with_users(auth: Value, users: &[(&str, &str)]) -> (Local, Arc<dyn Store>) {
        let clock = Clock::manual(START);
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new(clock.clone()));
        add_users(&store, users).await;
        let mut auth = auth;
        if let Some(map) = auth.as_object_mut() {
            map.entry("login")
                .or_insert_with(|| json!({"authenticator": "password"}));
        }
        let local = Self::start_with_store(&definition(auth), &[], clock, store.clone()).await;
        (local, store)
    }

    /// Submits the password form of `page` as `username` / `password`.
    pub async fn sign_in(&self, page: &Reply, username: &str, password: &str) -> Reply {
        assert_eq!(page.status, 200, "login page: {}", page.text);
        let body = form(&[
            ("pending_auth_id", &page.field("pending_auth_id")),
            ("csrf_token", &page.field("csrf_token")),
            ("username", username),
            ("password", password),
        ]);
        self.post_form("/oauth/callback", body, &[("cookie", &page.cookies())])
            .await
    }

    /// Opens a login page for `client_id` and signs in as `username` / `password`.
    pub async fn attempt(&self, client_id: &str, username: &str, password: &str) -> Reply {
        let page = self.authorize(client_id, &[]).await;
        self.sign_in(&page, username, password).await
    }

    pub fn url(&self, path: &str) -> String {
        self.running.url(path)
    }

    /// The server's base URL, also its issuer.
    pub fn base(&self) -> String {
        self.url("")
    }

    pub async fn get(&self, path: &str) -> Reply {
        reply(self.http.get(self.url(path)).send().await.expect("get")).await
    }

    pub async fn post_form(&self, path: &str, body: String, headers: &[(&str, &str)]) -> Reply {
        let mut request = self
            .http
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        reply(request.send().await.expect("post")).await
    }

    pub async fn post_json(&self, path: &str, body: Value, headers: &[(&str, &str)]) -> Reply {
        let mut request = self.http.post(self.url(path)).json(&body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        reply(request.send().await.expect("post")).await
    }

    /// Registers a public client with `redirect_uris`; returns the registration response.
    pub async fn register(&self, metadata: Value) -> Reply {
        self.post_json("/oauth/register", metadata, &[]).await
    }

    /// Registers a public client redirecting to [`REDIRECT`]; returns its id.
    pub async fn public_client(&self) -> String {
        let reply = self
            .register(json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none", "client_name": "Test client"}))
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text);
        reply.json()["client_id"]
            .as_str()
            .expect("client_id")
            .to_owned()
    }

    /// `GET /oauth/authorize` with the usual parameters, overridden or extended by `extra`.
    pub async fn authorize(&self, client_id: &str, extra: &[(&str, &str)]) -> Reply {
        self.get(&authorize_path(client_id, extra)).await
    }

    /// Submits the login page with `email`; returns the callback's answer.
    pub async fn login(&self, page: &Reply, email: &str) -> Reply {
        assert_eq!(page.status, 200, "login page: {}", page.text);
        let body = form(&[
            ("pending_auth_id", &page.field("pending_auth_id")),
            ("csrf_token", &page.field("csrf_token")),
            ("email", email),
            ("name", "Ada"),
        ]);
        self.post_form("/oauth/callback", body, &[("cookie", &page.cookies())])
            .await
    }

    /// Registers a client, logs in and returns `(client_id, code)`.
    pub async fn code(&self) -> (String, String) {
        let client_id = self.public_client().await;
        let page = self.authorize(&client_id, &[]).await;
        let done = self.login(&page, "ada@example.com").await;
        assert_eq!(done.status, 302, "{}", done.text);
        (client_id, done.location_param("code").expect("code"))
    }

    /// Exchanges `code` for tokens.
    pub async fn exchange(&self, client_id: &str, code: &str, verifier: &str) -> Reply {
        let body = form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
            ("client_id", client_id),
        ]);
        self.post_form("/oauth/token", body, &[]).await
    }

    /// The access token `email` gets at `client_id` through the whole flow.
    pub async fn access_token(&self, client_id: &str, email: &str) -> String {
        let page = self.authorize(client_id, &[]).await;
        let done = self.login(&page, email).await;
        assert_eq!(done.status, 302, "{}", done.text);
        let code = done.location_param("code").expect("code");
        let tokens = self.exchange(client_id, &code, VERIFIER).await;
        assert_eq!(tokens.status, 200, "{}", tokens.text);
        tokens.json()["access_token"]
            .as_str()
            .expect("access")
            .to_owned()
    }

    /// The whole flow: `(client_id, token response)`.
    pub async fn tokens(&self) -> (String, Value) {
        let (client_id, code) = self.code().await;
        let reply = self.exchange(&client_id, &code, VERIFIER).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        (client_id, reply.json())
    }

    /// Exchanges the code of a finished redirect (`done`, a 302 to the client): the token
    /// response.
    pub async fn tokens_of(&self, client_id: &str, done: &Reply) -> Value {
        assert_eq!(done.status, 302, "{}", done.text);
        let code = done.location_param("code").expect("code");
        let reply = self.exchange(client_id, &code, VERIFIER).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json()
    }

    /// An initialized MCP session with `token`.
    pub async fn session(&self, token: &str) -> Client {
        let mut mcp = Client::new(self.url("/mcp")).with_token(token);
        assert_eq!(mcp.initialize().await.status, 200);
        mcp
    }

    /// Submits the consent page `page` with `entries` (tools, `prompt:` and `resource:` entries)
    /// and `decision`.
    pub async fn submit_consent(&self, page: &Reply, entries: &[&str], decision: &str) -> Reply {
        assert!(
            page.text.contains("name=\"pending_auth_id\""),
            "a form page: {} {}",
            page.status,
            page.text
        );
        let pending = page.field("pending_auth_id");
        let csrf = page.field("csrf_token");
        let mut pairs = vec![
            ("pending_auth_id", pending.as_str()),
            ("csrf_token", csrf.as_str()),
            ("decision", decision),
        ];
        pairs.extend(entries.iter().map(|t| ("tool", *t)));
        self.post_form(
            "/oauth/consent",
            form(&pairs),
            &[("cookie", &page.cookies())],
        )
        .await
    }

    /// A refresh-token grant.
    pub async fn refresh(&self, client_id: &str, refresh_token: &str) -> Reply {
        let body = form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", client_id),
        ]);
        self.post_form("/oauth/token", body, &[]).await
    }

    /// The status of an MCP `initialize` with `token`.
    pub async fn mcp_status(&self, token: &str) -> u16 {
        let mut client = super::mcp::Client::new(self.url("/mcp")).with_token(token);
        client.initialize().await.status
    }
}

/// Adds `(username, password)` users to the password directory in `store`; the subject and
/// email are the username.
pub async fn add_users(store: &Arc<dyn Store>, users: &[(&str, &str)]) {
    for (username, password) in users {
        let hash = frontmcp_auth::login::password::hash_password(password).expect("hash");
        store
            .put_user(frontmcp_auth::store::UserRecord {
                username: (*username).to_owned(),
                subject: (*username).to_owned(),
                email: username.contains('@').then(|| (*username).to_owned()),
                name: None,
                password_hash: Some(hash),
                passkeys: Vec::new(),
                created_at: START,
            })
            .await
            .expect("user");
    }
}

async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap_or_default();
    Reply {
        status,
        headers,
        text,
    }
}

/// An authenticator whose directory is down: every attempt is `Unavailable`.
#[derive(Default)]
pub struct Down;

impl frontmcp_auth::login::Authenticator for Down {
    fn authenticate<'a>(
        &'a self,
        _: &'a frontmcp_auth::login::LoginAttempt,
    ) -> frontmcp_auth::login::BoxFuture<
        'a,
        Result<frontmcp_auth::login::AuthenticatedUser, frontmcp_auth::login::LoginRefusal>,
    > {
        Box::pin(async {
            Err(frontmcp_auth::login::LoginRefusal::Unavailable(
                "ldap://10.0.0.1 refused".into(),
            ))
        })
    }
}

/// The path of an authorization request with the usual parameters (PKCE S256, `state-123`,
/// `profile email`), overridden or extended by `extra`; an empty value drops the parameter.
pub fn authorize_path(client_id: &str, extra: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(&str, &str)> = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("state", "state-123"),
        ("scope", "profile email"),
    ];
    for (name, value) in extra {
        pairs.retain(|(n, _)| n != name);
        if !value.is_empty() {
            pairs.push((name, value));
        }
    }
    format!("/oauth/authorize?{}", form(&pairs))
}
