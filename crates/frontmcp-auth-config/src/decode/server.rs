//! The top level: `info`, `apps`, `split_by_app`, `auth`, `http`, `logging`, `security`, `ui`,
//! `tool_scopes`, `prompt_scopes`, `resource_scopes`.

use super::auth::decode_auth;
use super::reader::Decoder;
use super::set;
use crate::model::{
    AppConfig, HttpConfig, Info, LogLevel, LoggingConfig, McpSessions, SecurityConfig,
    ServerConfig, UiConfig,
};
use crate::node::{Node, NodeKind};
use crate::path::KeyPath;
use crate::violation::{Rule, Violation};

/// Decodes a whole server configuration. Always returns a model (defaults stand in for what was
/// wrong) so the rulebook can still run; the mistakes are in `d.violations`.
pub fn decode_server(d: &mut Decoder, root: &Node) -> ServerConfig {
    let mut config = ServerConfig {
        info: Info::default(),
        apps: Vec::new(),
        split_by_app: false,
        auth: None,
        http: HttpConfig::default(),
        logging: LoggingConfig::default(),
        security: SecurityConfig::default(),
        ui: UiConfig::default(),
        tool_scopes: std::collections::BTreeMap::new(),
        prompt_scopes: std::collections::BTreeMap::new(),
        resource_scopes: std::collections::BTreeMap::new(),
    };
    let root_path = KeyPath::root();
    let Some(mut t) = d.table(root, &root_path) else {
        return config;
    };
    if let Some(info) = t.read(d, "info", decode_info) {
        config.info = info;
    }
    set(&mut config.apps, t.read(d, "apps", decode_apps));
    set(
        &mut config.split_by_app,
        t.read(d, "split_by_app", Decoder::bool),
    );
    config.auth = t.read(d, "auth", decode_auth);
    set(&mut config.http, t.read(d, "http", decode_http));
    set(&mut config.logging, t.read(d, "logging", decode_logging));
    set(
        &mut config.security,
        t.read(d, "security", super::security::decode_security),
    );
    set(&mut config.ui, t.read(d, "ui", super::login::decode_ui));
    set(
        &mut config.tool_scopes,
        t.read(d, "tool_scopes", decode_tool_scopes),
    );
    set(
        &mut config.prompt_scopes,
        t.read(d, "prompt_scopes", decode_named_scopes),
    );
    set(
        &mut config.resource_scopes,
        t.read(d, "resource_scopes", decode_named_scopes),
    );
    t.finish(d);
    config
}

/// `tool_scopes`: tool names (`tool`, or `app.tool`) to lists of scopes; an app's tools may also
/// be written as a table under the app id (`tool_scopes(math(add = ["math:write"]))`).
fn decode_tool_scopes(
    d: &mut Decoder,
    node: &Node,
    path: &KeyPath,
) -> Option<std::collections::BTreeMap<String, Vec<String>>> {
    decode_scopes(d, node, path, true)
}

/// `prompt_scopes` / `resource_scopes`: prompt names, or resource URIs and URI templates, to
/// lists of scopes.
fn decode_named_scopes(
    d: &mut Decoder,
    node: &Node,
    path: &KeyPath,
) -> Option<std::collections::BTreeMap<String, Vec<String>>> {
    decode_scopes(d, node, path, false)
}

/// Names to lists of scopes; with `app_tables`, a table under a name holds that app's entries
/// (as `app.name`).
fn decode_scopes(
    d: &mut Decoder,
    node: &Node,
    path: &KeyPath,
    app_tables: bool,
) -> Option<std::collections::BTreeMap<String, Vec<String>>> {
    let mut t = d.table(node, path)?;
    let mut scopes = std::collections::BTreeMap::new();
    for (name, _, value) in t.take_entries(d) {
        let at = path.key(name);
        if app_tables && let NodeKind::Table(_) = value.kind {
            let Some(mut app) = d.table(value, &at) else {
                continue;
            };
            for (tool, _, list) in app.take_entries(d) {
                if let Some(list) = d.strings(list, &at.key(tool)) {
                    scopes.insert(format!("{name}.{tool}"), list);
                }
            }
            app.finish(d);
        } else if let Some(list) = d.strings(value, &at) {
            scopes.insert(name.to_owned(), list);
        }
    }
    t.finish(d);
    Some(scopes)
}

fn decode_info(d: &mut Decoder, node: &Node, path: &KeyPath) -> Option<Info> {
    let mut t = d.table(node, path)?;
    let mut info = Info::default();
    set(&mut info.name, t.read(d, "name", Decoder::name));
    set(&mut info.version, t.read(d, "version", Decoder::name));
    t.finish(d);
    Some(info)
}

fn decode_apps(d: &mut Decoder, node: &Node, path: &KeyPath) -> Option<Vec<AppConfig>> {
    if let NodeKind::List(_) = node.kind {
        d.report(
            Violation::new(
                Rule::WrongType,
                path.clone(),
                Some(node.loc),
                "apps are declared in code, not as a list in configuration",
            )
            .help("declare apps with #[frontmcp(apps(BillingApp, ...))]; in a file, set an app's auth under [apps.<app_id>.auth]"),
        );
        return None;
    }
    let mut t = d.table(node, path)?;
    let mut apps = Vec::new();
    for (id, _, value) in t.take_entries(d) {
        let app_path = path.key(id);
        let mut app = AppConfig {
            id: id.to_owned(),
            auth: None,
        };
        if let NodeKind::Bool(true) = value.kind {
            apps.push(app);
            continue;
        }
        if let Some(mut entry) = d.table(value, &app_path) {
            app.auth = entry.read(d, "auth", decode_auth);
            entry.finish(d);
        }
        apps.push(app);
    }
    t.finish(d);
    Some(apps)
}

fn decode_http(d: &mut Decoder, node: &Node, path: &KeyPath) -> Option<HttpConfig> {
    let mut t = d.table(node, path)?;
    let mut http = HttpConfig::default();
    set(&mut http.host, t.read(d, "host", Decoder::name));
    set(&mut http.port, t.read(d, "port", Decoder::port));
    set(
        &mut http.entry_path,
        t.read(d, "entry_path", Decoder::string),
    );
    http.public_url = t.read(d, "public_url", Decoder::name);
    set(
        &mut http.allowed_hosts,
        t.read(d, "allowed_hosts", Decoder::strings),
    );
    set(
        &mut http.allowed_origins,
        t.read(d, "allowed_origins", Decoder::strings),
    );
    set(
        &mut http.trusted_proxies,
        t.read(d, "trusted_proxies", Decoder::strings),
    );
    set(
        &mut http.mcp_sessions,
        t.read(d, "mcp_sessions", |d, n, p| {
            d.choice(
                n,
                p,
                &[
                    ("shared", McpSessions::Shared),
                    ("local", McpSessions::Local),
                ],
            )
        }),
    );
    t.finish(d);
    Some(http)
}

fn decode_logging(d: &mut Decoder, node: &Node, path: &KeyPath) -> Option<LoggingConfig> {
    let mut t = d.table(node, path)?;
    let mut logging = LoggingConfig::default();
    set(&mut logging.level, t.read(d, "level", decode_level));
    set(&mut logging.redact, t.read(d, "redact", Decoder::strings));
    t.finish(d);
    Some(logging)
}

/// `"info"`, `"INFO"`, and the SDK's spelling `LogLevel.INFO` / `LogLevel::Info`.
fn decode_level(d: &mut Decoder, node: &Node, path: &KeyPath) -> Option<LogLevel> {
    if let NodeKind::Str(text) = &node.kind {
        let bare = text.rsplit(['.', ':']).next().unwrap_or(text);
        if bare != text {
            let stripped = Node {
                kind: NodeKind::Str(bare.to_owned()),
                ..node.clone()
            };
            return d.choice(&stripped, path, LogLevel::NAMES);
        }
    }
    d.choice(node, path, LogLevel::NAMES)
}
