//! A small MCP-over-HTTP client for tests: JSON-RPC POSTs, SSE or JSON responses, sessions.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use frontmcp_auth::ServerDefinition;
use frontmcp_auth::config::{Environment, FileChoice};
use frontmcp_auth::http::{RouterOptions, build_router};
use serde_json::{Value, json};

/// A server running on a free loopback port until dropped.
pub struct Running {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Running {
    /// A server already listening at `addr` (served elsewhere, as a benchmark's on its own
    /// thread), stopped through `shutdown` when this is dropped.
    pub fn attach(addr: SocketAddr, shutdown: tokio::sync::oneshot::Sender<()>) -> Running {
        Running {
            addr,
            shutdown: Some(shutdown),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Loads `definition` with exactly `env` (no file) and serves it on 127.0.0.1:0.
pub async fn start(
    definition: &ServerDefinition,
    env: &[(&str, &str)],
    options: RouterOptions,
) -> Running {
    let loaded = definition
        .loader()
        .env(Environment::from_pairs(env.iter().copied()))
        .file(FileChoice::None)
        .load()
        .unwrap_or_else(|e| panic!("config: {e}"));
    let router =
        build_router(&loaded, definition, options).unwrap_or_else(|e| panic!("router: {e}"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(frontmcp_auth::serve_router(listener, router, async move {
        let _ = rx.await;
    }));
    Running {
        addr,
        shutdown: Some(tx),
    }
}

/// The answer to one POST.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    /// The JSON-RPC message (from a JSON body or the SSE `data:` lines), if any.
    pub message: Option<Value>,
    pub text: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `result` of the JSON-RPC response.
    pub fn result(&self) -> &Value {
        self.message
            .as_ref()
            .and_then(|m| m.get("result"))
            .unwrap_or_else(|| panic!("no result in {} {}", self.status, self.text))
    }
}

/// An MCP client session.
pub struct Client {
    http: reqwest::Client,
    endpoint: String,
    token: Option<String>,
    session: Option<String>,
    next_id: u64,
    headers: Vec<(String, String)>,
}

impl Client {
    pub fn new(endpoint: String) -> Self {
        Self {
            http: reqwest::Client::new(),
            endpoint,
            token: None,
            session: None,
            next_id: 1,
            headers: Vec::new(),
        }
    }

    /// Sends `name: value` with every message.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The MCP session id the server gave this client, once initialized.
    pub fn session(&self) -> Option<&str> {
        self.session.as_deref()
    }

    /// The same session, token and headers, sent to `endpoint` (another instance).
    pub fn moved_to(&self, endpoint: String) -> Self {
        Self {
            http: self.http.clone(),
            endpoint,
            token: self.token.clone(),
            session: self.session.clone(),
            next_id: self.next_id + 1000,
            headers: self.headers.clone(),
        }
    }

    pub fn with_token(mut self, token: &str) -> Self {
        self.token = Some(token.to_owned());
        self
    }

    /// Sends one JSON-RPC message; returns the answer.
    pub async fn post(&mut self, message: Value) -> Answer {
        let mut request = self
            .http
            .post(&self.endpoint)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .header("mcp-protocol-version", "2025-06-18")
            .json(&message);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(session) = &self.session {
            request = request.header("mcp-session-id", session);
        }
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        if let Some(session) = headers.get("mcp-session-id").and_then(|v| v.to_str().ok()) {
            self.session = Some(session.to_owned());
        }
        let text = response.text().await.unwrap_or_default();
        let message = parse_message(&text);
        Answer {
            status,
            headers,
            message,
            text,
        }
    }

    /// Sends a request with a fresh id.
    pub async fn request(&mut self, method: &str, params: Value) -> Answer {
        let id = self.next_id;
        self.next_id += 1;
        self.post(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await
    }

    /// `initialize` then `notifications/initialized`.
    pub async fn initialize(&mut self) -> Answer {
        let answer = self
            .request(
                "initialize",
                json!({
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "frontmcp-auth-tests", "version": "0"}
                }),
            )
            .await;
        if answer.status == 200 {
            let note = self
                .post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
                .await;
            assert!(
                note.status < 300,
                "initialized notification: {} {}",
                note.status,
                note.text
            );
        }
        answer
    }

    /// `tools/call` of `name` with `arguments`.
    pub async fn call(&mut self, name: &str, arguments: Value) -> Answer {
        self.request("tools/call", json!({"name": name, "arguments": arguments}))
            .await
    }

    /// The names of `tools/list`.
    pub async fn tool_names(&mut self) -> Vec<String> {
        let answer = self.request("tools/list", json!({})).await;
        answer.result()["tools"]
            .as_array()
            .expect("tools")
            .iter()
            .filter_map(|t| t["name"].as_str().map(str::to_owned))
            .collect()
    }
}

/// The text of the first content item of a `tools/call` result.
pub fn text_of(answer: &Answer) -> String {
    answer.result()["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn parse_message(text: &str) -> Option<Value> {
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        return Some(value);
    }
    text.lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .filter_map(|data| serde_json::from_str::<Value>(data.trim()).ok())
        .find(|v| v.get("id").is_some())
}

/// A shared token verifier for tests: fixed tokens with fixed callers.
pub struct StaticVerifier(pub Vec<(String, frontmcp_auth::AuthContext)>);

impl frontmcp_auth::guard::TokenVerifier for StaticVerifier {
    fn verify<'a>(
        &'a self,
        token: &'a str,
    ) -> futures::future::BoxFuture<
        'a,
        Result<frontmcp_auth::AuthContext, frontmcp_auth::guard::Rejection>,
    > {
        Box::pin(async move {
            self.0
                .iter()
                .find(|(t, _)| t == token)
                .map(|(_, c)| c.clone())
                .ok_or(frontmcp_auth::guard::Rejection::InvalidToken {
                    description: "unknown token".into(),
                })
        })
    }
}

pub fn static_verifier(
    entries: Vec<(String, frontmcp_auth::AuthContext)>,
) -> Arc<dyn frontmcp_auth::guard::TokenVerifier> {
    Arc::new(StaticVerifier(entries))
}

/// One request on MCP session `session` at `url` (a POST is a `tools/list`), with `token` if
/// any and the `extra` headers: its status and body (read for at most 5 s).
pub async fn on_session(
    url: &str,
    method: reqwest::Method,
    session: &str,
    token: Option<&str>,
    extra: &[(&str, &str)],
) -> (u16, String) {
    let mut request = reqwest::Client::new()
        .request(method.clone(), url)
        .header("mcp-session-id", session)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    if method == reqwest::Method::POST {
        request = request
            .header("content-type", "application/json")
            .body(json!({"jsonrpc": "2.0", "id": 9, "method": "tools/list"}).to_string());
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let body = tokio::time::timeout(std::time::Duration::from_secs(5), response.text())
        .await
        .map(|t| t.unwrap_or_default())
        .unwrap_or_default();
    (status, body)
}
