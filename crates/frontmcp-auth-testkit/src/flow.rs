//! Drives a local-mode server over real HTTP: the OAuth flow a client makes (register,
//! authorize, log in, exchange, refresh) and MCP calls with the resulting token.

use std::time::Duration;

use serde_json::{Value, json};

/// The redirect URI the test client registers.
pub const REDIRECT: &str = "http://127.0.0.1:7777/callback";
/// A PKCE verifier and its S256 challenge (RFC 7636, appendix B).
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// The challenge of [`VERIFIER`].
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// A signing secret shared by every instance and restart.
pub const SECRET: &str = "a-shared-signing-secret-of-32-bytes-or-more";

/// One HTTP answer.
#[derive(Debug)]
pub struct Reply {
    /// The status; 0 when no answer came.
    pub status: u16,
    /// The headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body.
    pub text: String,
}

impl Reply {
    /// The body as JSON.
    ///
    /// # Panics
    ///
    /// When the body is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|_| panic!("not JSON: {} {}", self.status, self.text))
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub(crate) fn field(&self, name: &str) -> String {
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

    pub(crate) fn cookies(&self) -> String {
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
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&encode(name));
        out.push('=');
        out.push_str(&encode(value));
    }
    out
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The authorization request a client opens in the browser: code flow, PKCE S256 with
/// [`CHALLENGE`], redirect to [`REDIRECT`], `state=state-1`.
pub fn authorize_url(base: &str, client_id: &str) -> String {
    let query = form(&[
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("state", "state-1"),
        ("scope", "profile email offline_access"),
    ]);
    format!("{base}/oauth/authorize?{query}")
}

/// An HTTP client that never follows redirects and gives up after a bounded time.
///
/// # Panics
///
/// When the TLS backend cannot start.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

pub(crate) async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap_or_default();
    Reply {
        status,
        headers,
        text,
    }
}

/// The OAuth client side, against one server base URL at a time.
#[derive(Clone)]
pub struct Flow {
    /// The HTTP client.
    pub http: reqwest::Client,
}

impl Default for Flow {
    fn default() -> Self {
        Self { http: http() }
    }
}

impl Flow {
    /// Registers a public client; returns its id.
    ///
    /// # Panics
    ///
    /// When registration fails.
    pub async fn register(&self, base: &str) -> String {
        let response = self
            .http
            .post(format!("{base}/oauth/register"))
            .json(&json!({
                "redirect_uris": [REDIRECT],
                "token_endpoint_auth_method": "none",
                "client_name": "frontmcp-auth test client",
            }))
            .send()
            .await
            .expect("register");
        let reply = reply(response).await;
        assert_eq!(reply.status, 201, "{}", reply.text);
        reply.json()["client_id"]
            .as_str()
            .expect("client_id")
            .to_owned()
    }

    /// Opens the authorize page and logs in as `email`; returns the code. The form carries the
    /// demo login's fields (`email`, `name`) and the password directory's (`username` = the
    /// email, `password` = [`crate::TEST_PASSWORD`]); each authenticator reads its own.
    ///
    /// # Panics
    ///
    /// When the page or the login fails.
    pub async fn authorize(&self, base: &str, client_id: &str, email: &str) -> String {
        self.login_code(base, client_id, email)
            .await
            .unwrap_or_else(|status| panic!("the login page or form answered {status}"))
    }

    /// Opens the authorize page and submits the login form as `email` (both authenticators'
    /// fields, as [`Flow::authorize`]): the code, or the status of the step that refused it
    /// (0 when nothing answered).
    pub async fn login_code(
        &self,
        base: &str,
        client_id: &str,
        email: &str,
    ) -> Result<String, u16> {
        let sent = |r: Result<reqwest::Response, reqwest::Error>| r.map_err(|_| 0u16);
        let page = reply(sent(
            self.http.get(authorize_url(base, client_id)).send().await,
        )?)
        .await;
        if page.status != 200 || !page.text.contains("name=\"pending_auth_id\"") {
            return Err(page.status);
        }
        let body = form(&[
            ("pending_auth_id", &page.field("pending_auth_id")),
            ("csrf_token", &page.field("csrf_token")),
            ("email", email),
            ("name", "Ada"),
            ("username", email),
            ("password", crate::TEST_PASSWORD),
        ]);
        let done = reply(sent(
            self.http
                .post(format!("{base}/oauth/callback"))
                .header("content-type", "application/x-www-form-urlencoded")
                .header("cookie", page.cookies())
                .body(body)
                .send()
                .await,
        )?)
        .await;
        done.header("location")
            .and_then(|l| url::Url::parse(l).ok())
            .and_then(|l| {
                l.query_pairs()
                    .find(|(k, _)| k == "code")
                    .map(|(_, v)| v.into_owned())
            })
            .ok_or(done.status)
    }

    /// A token request.
    pub async fn token(&self, base: &str, pairs: &[(&str, &str)]) -> Reply {
        match self
            .http
            .post(format!("{base}/oauth/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(pairs))
            .send()
            .await
        {
            Ok(response) => reply(response).await,
            Err(error) => Reply {
                status: 0,
                headers: reqwest::header::HeaderMap::new(),
                text: error.to_string(),
            },
        }
    }

    /// Exchanges a code; returns the token response.
    ///
    /// # Panics
    ///
    /// When the exchange fails.
    pub async fn exchange(&self, base: &str, client_id: &str, code: &str) -> Value {
        let reply = self
            .token(
                base,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", code),
                    ("redirect_uri", REDIRECT),
                    ("code_verifier", VERIFIER),
                    ("client_id", client_id),
                ],
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json()
    }

    /// Registers a client, signs in as `email` and exchanges the code: the access token.
    ///
    /// # Panics
    ///
    /// When a step fails.
    pub async fn sign_in(&self, base: &str, email: &str) -> String {
        let client = self.register(base).await;
        let code = self.authorize(base, &client, email).await;
        self.exchange(base, &client, &code).await["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// One whole login at `client_id` as `email` that never panics: the token response, or the
    /// HTTP status of the step that refused it (0 when nothing answered). For load and soak
    /// drivers, where a refusal is counted rather than fatal.
    pub async fn try_sign_in(
        &self,
        base: &str,
        client_id: &str,
        email: &str,
    ) -> Result<Value, u16> {
        let code = self.login_code(base, client_id, email).await?;
        let tokens = self
            .token(
                base,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", REDIRECT),
                    ("code_verifier", VERIFIER),
                    ("client_id", client_id),
                ],
            )
            .await;
        if tokens.status == 200 {
            Ok(tokens.json())
        } else {
            Err(tokens.status)
        }
    }

    /// [`Flow::sign_in`] from synchronous code, on a runtime of its own.
    ///
    /// # Panics
    ///
    /// When a step fails.
    pub fn sign_in_blocking(base: &str, email: &str) -> String {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(Flow::default().sign_in(base, email))
    }

    /// A refresh-token grant.
    pub async fn refresh(&self, base: &str, client_id: &str, refresh_token: &str) -> Reply {
        self.token(
            base,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
                ("client_id", client_id),
            ],
        )
        .await
    }

    /// Initializes an MCP session at `mcp_url` with `token`: the session, or the HTTP status
    /// that refused it (0 when nothing answered).
    pub async fn mcp(&self, mcp_url: &str, token: &str) -> Result<McpSession, u16> {
        let mut session = McpSession {
            http: self.http.clone(),
            url: mcp_url.to_owned(),
            token: token.to_owned(),
            session: None,
            next_id: 1,
        };
        session
            .request(
                "initialize",
                json!({"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "frontmcp-auth-test", "version": "1"}}),
            )
            .await?;
        session
            .send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await?;
        Ok(session)
    }

    /// Initializes an MCP session with `token` and calls the `whoami` tool: the tool's text, or
    /// the HTTP status that refused it.
    pub async fn whoami(&self, mcp_url: &str, token: &str) -> Result<String, u16> {
        let mut session = self.mcp(mcp_url, token).await?;
        let message = session.call("whoami", json!({})).await?;
        Ok(message["result"]["content"][0]["text"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }
}

/// An initialized MCP session over streamable HTTP.
pub struct McpSession {
    http: reqwest::Client,
    url: String,
    token: String,
    session: Option<String>,
    next_id: u64,
}

impl McpSession {
    async fn send(&mut self, body: Value) -> Result<String, u16> {
        let mut request = self
            .http
            .post(&self.url)
            .bearer_auth(&self.token)
            .header("accept", "application/json, text/event-stream")
            .json(&body);
        if let Some(session) = &self.session {
            request = request.header("mcp-session-id", session);
        }
        let response = request.send().await.map_err(|_| 0u16)?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(status);
        }
        if let Some(id) = response
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
        {
            self.session = Some(id.to_owned());
        }
        Ok(response.text().await.unwrap_or_default())
    }

    /// Sends a JSON-RPC request: the response message (a `result` or an `error`), or the HTTP
    /// status that refused it.
    pub async fn request(&mut self, method: &str, params: Value) -> Result<Value, u16> {
        let id = self.next_id;
        self.next_id += 1;
        let text = self
            .send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await?;
        Ok(text
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .filter_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
            .find(|m| m["id"] == id)
            .or_else(|| serde_json::from_str(&text).ok())
            .unwrap_or(Value::Null))
    }

    /// Sends the next requests of this session to `mcp_url` (another instance).
    pub fn move_to(&mut self, mcp_url: &str) {
        mcp_url.clone_into(&mut self.url);
    }

    /// The session id the server gave, once initialized.
    pub fn session_id(&self) -> Option<&str> {
        self.session.as_deref()
    }

    /// `tools/call`: the response message.
    pub async fn call(&mut self, name: &str, arguments: Value) -> Result<Value, u16> {
        self.request("tools/call", json!({"name": name, "arguments": arguments}))
            .await
    }

    /// The names `tools/list` returns.
    pub async fn tool_names(&mut self) -> Result<Vec<String>, u16> {
        let message = self.request("tools/list", json!({})).await?;
        Ok(message["result"]["tools"]
            .as_array()
            .map(|tools| {
                tools
                    .iter()
                    .filter_map(|t| t["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }
}
