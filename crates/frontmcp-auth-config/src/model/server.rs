//! The server-level configuration: identity, apps, HTTP, logging.

use serde::Serialize;

use super::{AuthConfig, SecurityConfig, UiConfig};

/// The whole configuration of one server, the Rust twin of the SDK's `@FrontMcp({...})`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerConfig {
    /// Name and version announced to MCP clients. Default: the struct name and the crate version.
    pub info: Info,
    /// The apps of the server, in declaration order. Default: none.
    pub apps: Vec<AppConfig>,
    /// Serve each app at its own path with its own auth. Default: `false`.
    pub split_by_app: bool,
    /// Server-level authentication. Default: absent, which means `public` mode.
    pub auth: Option<AuthConfig>,
    /// HTTP listener settings.
    pub http: HttpConfig,
    /// Logging settings.
    pub logging: LoggingConfig,
    /// The deployment profile and production hardening.
    pub security: SecurityConfig,
    /// The HTML pages (login, consent, passkey, errors).
    pub ui: UiConfig,
    /// Scopes each tool requires, by `tool` (every app's tool of that name) or `app.tool`;
    /// added to the requirements set in code. Default: none.
    pub tool_scopes: std::collections::BTreeMap<String, Vec<String>>,
    /// Scopes each prompt requires, by the name clients see. Default: none.
    pub prompt_scopes: std::collections::BTreeMap<String, Vec<String>>,
    /// Scopes reading (or subscribing to) a resource requires, by its URI or by a URI template
    /// of the server (covering every URI it matches). Default: none.
    pub resource_scopes: std::collections::BTreeMap<String, Vec<String>>,
}

impl ServerConfig {
    /// The server-level auth, or the `public` defaults when `auth` is absent.
    pub fn effective_auth(&self) -> AuthConfig {
        self.auth.clone().unwrap_or_default()
    }
}

/// `info(name, version)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Info {
    /// Server name. Default: the annotated struct's name (`"frontmcp-server"` without the macro).
    pub name: String,
    /// Server version. Default: the crate version (`"0.0.0"` without the macro).
    pub version: String,
}

impl Default for Info {
    fn default() -> Self {
        Self {
            name: "frontmcp-server".to_owned(),
            version: "0.0.0".to_owned(),
        }
    }
}

/// One app of the server (`apps(BillingApp, ...)`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppConfig {
    /// The app's id: its path segment under `split_by_app` and its tool namespace.
    /// Default: the type name in snake_case (`BillingApp` → `billing_app`).
    pub id: String,
    /// The app's own auth, required (and only allowed) with `split_by_app`. Default: absent.
    pub auth: Option<AuthConfig>,
}

/// `http.mcp_sessions`: where MCP sessions (`Mcp-Session-Id`) live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum McpSessions {
    /// In the token storage: a session created on one instance is served by any instance that
    /// shares the store (Redis, Redis Cluster), so a round-robin balancer needs no stickiness;
    /// with a Redis store, its response streams' events are logged there too, for
    /// `Last-Event-ID`. With memory or SQLite (one instance) the records stay in the process.
    /// The default.
    #[default]
    Shared,
    /// In the memory of the instance that created it (the balancer must be sticky).
    Local,
}

/// `http(host, port, entry_path, public_url, allowed_hosts, allowed_origins, trusted_proxies,
/// mcp_sessions)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HttpConfig {
    /// Address to bind. Default: `"127.0.0.1"`.
    pub host: String,
    /// TCP port to listen on (`0` picks a free one). Default: `3000`.
    pub port: u16,
    /// Path prefix of every route; MCP is served at `{entry_path}/mcp`. Default: `""`.
    pub entry_path: String,
    /// The public base URL clients reach the server at (also `FRONTMCP_PUBLIC_URL`), used in
    /// discovery documents and challenges. Default: absent (taken from each request's `Host`).
    pub public_url: Option<String>,
    /// `Host` values accepted (DNS-rebinding protection): names or `name:port`.
    /// Default: the public URL's host when set, else the loopback names.
    pub allowed_hosts: Vec<String>,
    /// Browser `Origin` values accepted, with scheme (`https://app.example.com`, `http://localhost:*`).
    /// Default: the public URL's origin when set, else loopback origins on any port.
    pub allowed_origins: Vec<String>,
    /// Proxy addresses (IPs or CIDRs) whose `X-Forwarded-For` / `-Host` / `-Proto` are trusted.
    /// Default: none.
    pub trusted_proxies: Vec<String>,
    /// Where MCP sessions live: `"shared"` (in the token storage, any instance serves any
    /// session) or `"local"` (the instance's memory). Default: `"shared"`.
    pub mcp_sessions: McpSessions,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 3000,
            entry_path: String::new(),
            public_url: None,
            allowed_hosts: Vec::new(),
            allowed_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            mcp_sessions: McpSessions::Shared,
        }
    }
}

/// `logging(level, redact)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoggingConfig {
    /// Minimum level written. Default: `info`.
    pub level: LogLevel,
    /// Field names whose values are replaced by `[redacted]` in every log line, besides the
    /// defaults, which are always redacted. Default: `access_token`, `refresh_token`, `client_secret`, `code`, `code_verifier`,
    /// `id_token`, `password`, `authorization`.
    pub redact: Vec<String>,
}

impl Default for LoggingConfig {
    fn default() -> Self {
        Self {
            level: LogLevel::Info,
            redact: DEFAULT_REDACT.iter().map(|s| (*s).to_owned()).collect(),
        }
    }
}

impl LoggingConfig {
    /// The field names every log line redacts: the defaults ([`DEFAULT_REDACT`]), always,
    /// and those `redact` adds.
    pub fn redacted_fields(&self) -> Vec<String> {
        let mut fields: Vec<String> = DEFAULT_REDACT.iter().map(|s| (*s).to_owned()).collect();
        for name in &self.redact {
            if !fields.iter().any(|f| f.eq_ignore_ascii_case(name)) {
                fields.push(name.clone());
            }
        }
        fields
    }
}

/// The field names always redacted from logs (`logging.redact` adds to them).
pub const DEFAULT_REDACT: &[&str] = &[
    "access_token",
    "refresh_token",
    "client_secret",
    "code",
    "code_verifier",
    "id_token",
    "password",
    "authorization",
];

/// Log levels, as in the SDK's `LogLevel` (`Verbose` is accepted as `trace`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    /// Everything.
    Trace,
    /// Debugging detail.
    Debug,
    /// Normal operation. The default.
    Info,
    /// Something unexpected.
    Warn,
    /// Failures.
    Error,
    /// Nothing.
    Off,
}

impl LogLevel {
    /// The accepted spellings, lower case.
    pub const NAMES: &'static [(&'static str, LogLevel)] = &[
        ("trace", LogLevel::Trace),
        ("verbose", LogLevel::Trace),
        ("debug", LogLevel::Debug),
        ("info", LogLevel::Info),
        ("warn", LogLevel::Warn),
        ("warning", LogLevel::Warn),
        ("error", LogLevel::Error),
        ("off", LogLevel::Off),
    ];

    /// The level as a `tracing` filter directive.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
            LogLevel::Off => "off",
        }
    }
}
