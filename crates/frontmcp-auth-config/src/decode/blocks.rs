//! The nested blocks of `auth(...)`.

use super::reader::{Decoder, TableReader};
use super::set;
use crate::model::{
    CimdConfig, ConsentConfig, DcrConfig, FederatedAuthConfig, IncrementalAuthConfig,
    LocalSigningConfig, PkceConfig, PreRegisteredClient, ProviderConfig, PublicAccess, RedisConfig,
    RefreshConfig, SignKey, SkippedAppBehavior, SqliteConfig, SqliteEncryption, StateValidation,
    TokenStorage, ToolAccess, UpstreamProvider,
};
use crate::node::{Node, NodeKind};
use crate::path::KeyPath;
use crate::violation::{Rule, Violation};

/// A block that is either a table or, where it has an `enabled` switch, a bare boolean.
enum Block<'n> {
    Flag(bool),
    Table(TableReader<'n>),
}

fn block<'n>(d: &mut Decoder, node: &'n Node, path: &KeyPath) -> Option<Block<'n>> {
    let is_flag = matches!(node.kind, NodeKind::Bool(_))
        || (node.from_text && matches!(node.kind, NodeKind::Str(_)));
    if is_flag {
        d.bool(node, path).map(Block::Flag)
    } else {
        d.table(node, path).map(Block::Table)
    }
}

pub(super) fn decode_public_access(
    d: &mut Decoder,
    node: &Node,
    path: &KeyPath,
) -> Option<PublicAccess> {
    let mut t = d.table(node, path)?;
    let mut access = PublicAccess::default();
    set(&mut access.tools, t.read(d, "tools", decode_tool_access));
    set(
        &mut access.prompts,
        t.read(d, "prompts", decode_tool_access),
    );
    set(
        &mut access.rate_limit,
        t.read(d, "rate_limit", Decoder::u64),
    );
    t.finish(d);
    Some(access)
}

/// `"all"` or a list of names.
fn decode_tool_access(d: &mut Decoder, node: &Node, path: &KeyPath) -> Option<ToolAccess> {
    match &node.kind {
        NodeKind::Str(text) if text.trim().eq_ignore_ascii_case("all") => Some(ToolAccess::All),
        NodeKind::Str(_) if !node.from_text => {
            let violation = d
                .invalid(node, path, "expected \"all\" or a list of names")
                .help("write \"all\" or [\"tool_a\", \"tool_b\"]");
            d.report(violation);
            None
        }
        _ => d.strings(node, path).map(ToolAccess::Only),
    }
}

pub(super) fn decode_provider_config(
    d: &mut Decoder,
    node: &Node,
    path: &KeyPath,
) -> Option<ProviderConfig> {
    let mut t = d.table(node, path)?;
    let mut config = ProviderConfig {
        name: t.read(d, "name", Decoder::name),
        id: t.read(d, "id", Decoder::name),
        jwks: t
            .read(d, "jwks", Decoder::json_object)
            .map(serde_json::Value::Object),
        jwks_uri: t.read(d, "jwks_uri", Decoder::name),
        ..ProviderConfig::default()
    };
    set(
        &mut config.additional_issuers,
        t.read(d, "additional_issuers", Decoder::strings),
    );
    set(
        &mut config.verify_issuer,
        t.read(d, "verify_issuer", Decoder::bool),
    );
    t.finish(d);
    Some(config)
}

const BACKENDS: &[&str] = &["memory", "sqlite", "redis"];

/// `"memory"`, `{ sqlite = {...} }`, `{ redis = {...} }`, or the seeds' `{ type, config }`.
pub(super) fn decode_storage(d: &mut Decoder, node: &Node, path: &KeyPath) -> Option<TokenStorage> {
    if let NodeKind::Str(_) = node.kind {
        let kind = d.choice(node, path, &[("memory", 0), ("sqlite", 1), ("redis", 2)])?;
        return Some(backend_default(kind));
    }
    let mut t = d.table(node, path)?;
    let selected = t.read(d, "type", |d, n, p| {
        d.choice(n, p, &[("memory", 0), ("sqlite", 1), ("redis", 2)])
    });
    let legacy_config = t.take(d, "config");
    let mut blocks = Vec::new();
    for (index, name) in BACKENDS.iter().enumerate() {
        if let Some(field) = t.take(d, name) {
            blocks.push((index, field));
        }
    }
    t.finish(d);

    if blocks.len() > 1 {
        let names: Vec<&str> = blocks.iter().map(|(i, _)| BACKENDS[*i]).collect();
        let (_, second) = blocks[1];
        d.report(
            Violation::new(
                Rule::ConflictingKeys,
                path.clone(),
                Some(second.key_loc),
                format!(
                    "token storage names more than one backend: {}",
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
            )
            .help("keep exactly one backend"),
        );
        return None;
    }
    let kind = match (selected, blocks.first()) {
        (Some(kind), Some((block_kind, field))) if kind != *block_kind => {
            d.report(
                Violation::new(
                    Rule::ConflictingKeys,
                    path.key(BACKENDS[*block_kind]),
                    Some(field.key_loc),
                    format!(
                        "type = \"{}\" but settings for `{}` are given",
                        BACKENDS[kind], BACKENDS[*block_kind]
                    ),
                )
                .help("make `type` and the settings block name the same backend"),
            );
            return None;
        }
        (Some(kind), _) => kind,
        (None, Some((kind, _))) => *kind,
        (None, None) => {
            let loc = legacy_config.map(|f| f.key_loc).or(Some(node.loc));
            d.report(
                Violation::new(
                    Rule::MissingKey,
                    path.clone(),
                    loc,
                    "no storage backend is named",
                )
                .help("write token_storage = \"memory\", sqlite(...) or redis(...)"),
            );
            return None;
        }
    };
    let settings = match (legacy_config, blocks.first()) {
        (Some(legacy), Some((_, field))) => {
            d.report(
                Violation::new(
                    Rule::ConflictingKeys,
                    path.key("config"),
                    Some(legacy.key_loc),
                    format!(
                        "both `config` and `{}` hold the backend settings",
                        field.name
                    ),
                )
                .help("keep one of them"),
            );
            return None;
        }
        (Some(legacy), None) => Some((legacy.node, path.key("config"))),
        (None, Some((_, field))) => Some((field.node, path.key(field.name))),
        (None, None) => None,
    };
    let Some((settings, settings_path)) = settings else {
        return Some(backend_default(kind));
    };
    if let NodeKind::Bool(true) = settings.kind {
        return Some(backend_default(kind));
    }
    match kind {
        0 => {
            let t = d.table(settings, &settings_path)?;
            t.finish(d);
            Some(TokenStorage::Memory)
        }
        1 => decode_sqlite(d, settings, &settings_path).map(TokenStorage::Sqlite),
        _ => decode_redis(d, settings, &settings_path).map(TokenStorage::Redis),
    }
}

fn backend_default(kind: usize) -> TokenStorage {
    match kind {
        0 => TokenStorage::Memory,
        1 => TokenStorage::Sqlite(SqliteConfig::default()),
        _ => TokenStorage::Redis(RedisConfig::default()),
    }
}

fn decode_sqlite(d: &mut Decoder, node: &Node, path: &KeyPath) -> Option<SqliteConfig> {
    let mut t = d.table(node, path)?;
    let mut config = SqliteConfig::default();
    set(&mut config.path, t.read(d, "path", Decoder::name));
    set(&mut config.wal_mode, t.read(d, "wal_mode", Decoder::bool));
    set(
        &mut config.ttl_cleanup_interval,
        t.read(d, "ttl_cleanup_interval", Decoder::u64),
    );
    config.encryption = t.read(d, "encryption", |d, n, p| {
        let mut e = d.table(n, p)?;
        let secret = e.read(d, "secret", Decoder::secret);
        e.finish(d);
        if secret.is_none() && !d.index.is_set(&p.key("secret")) {
            d.report(
                Violation::new(Rule::MissingKey, p.key("secret"), Some(n.loc), "encryption needs a `secret`")
                    .help("set encryption(secret = env(\"FRONTMCP_STORAGE_SECRET\")) or drop `encryption`"),
            );
        }
        secret.map(|secret| SqliteEncryption { secret })
    });
    t.finish(d);
    Some(config)
}

fn decode_redis(d: &mut Decoder, node: &Node, path: &KeyPath) -> Option<RedisConfig> {
    let mut t = d.table(node, path)?;
    let mut config = RedisConfig::default();
    set(&mut config.host, t.read(d, "host", Decoder::string));
    if let Some(port) = t.read(d, "port", |d, n, p| d.bounded(n, p, u64::from(u16::MAX))) {
        config.port = u16::try_from(port).unwrap_or(config.port);
    }
    config.password = t.read(d, "password", Decoder::secret);
    if let Some(db) = t.read(d, "db", |d, n, p| d.bounded(n, p, u64::from(u32::MAX))) {
        config.db = u32::try_from(db).unwrap_or(0);
    }
    set(&mut config.tls, t.read(d, "tls", Decoder::bool));
    set(
        &mut config.key_prefix,
        t.read(d, "key_prefix", Decoder::string),
    );
    t.finish(d);
    Some(config)
}

pub(super) fn decode_signing(
    d: &mut Decoder,
    node: &Node,
    path: &KeyPath,
) -> Option<LocalSigningConfig> {
    let mut t = d.table(node, path)?;
    let mut config = LocalSigningConfig {
        sign_key: t
            .read(d, "sign_key", Decoder::json_object)
            .map(SignKey::new),
        jwt_secret: t.read(d, "jwt_secret", Decoder::secret),
        jwt_secret_old: t.read(d, "jwt_secret_old", Decoder::secret),
        issuer: t.read(d, "issuer", Decoder::name),
        key_rotation_days: t.read(d, "key_rotation_days", Decoder::u64),
        ..LocalSigningConfig::default()
    };
    set(&mut config.max_keys, t.read(d, "max_keys", Decoder::u64));
    t.finish(d);
    Some(config)
}

pub(super) fn decode_refresh(
    d: &mut Decoder,
    node: &Node,
    path: &KeyPath,
) -> Option<RefreshConfig> {
    let mut config = RefreshConfig::default();
    let mut t = match block(d, node, path)? {
        Block::Flag(enabled) => {
            config.enabled = enabled;
            return Some(config);
        }
        Block::Table(t) => t,
    };
    set(&mut config.enabled, t.read(d, "enabled", Decoder::bool));
    set(
        &mut config.skew_seconds,
        t.read(d, "skew_seconds", Decoder::u64),
    );
    set(
        &mut config.access_token_ttl,
        t.read(d, "access_token_ttl", Decoder::u64),
    );
    set(
        &mut config.refresh_token_ttl,
        t.read(d, "refresh_token_ttl", Decoder::u64),
    );
    set(
        &mut config.rotate_refresh_token,
        t.read(d, "rotate_refresh_token", Decoder::bool),
    );
    set(
        &mut config.reuse_grace_seconds,
        t.read(d, "reuse_grace_seconds", Decoder::u64),
    );
    t.finish(d);
    Some(config)
}

pub(super) fn decode_consent(
    d: &mut Decoder,
    node: &Node,
    path: &KeyPath,
) -> Option<ConsentConfig> {
    let mut config = ConsentConfig::default();
    let mut t = match block(d, node, path)? {
        Block::Flag(enabled) => {
            config.enabled = enabled;
            return Some(config);
        }
        Block::Table(t) => t,
    };
    set(&mut config.enabled, t.read(d, "enabled", Decoder::bool));
    set(
        &mut config.group_by_app,
        t.read(d, "group_by_app", Decoder::bool),
    );
    set(
        &mut config.show_descriptions,
        t.read(d, "show_descriptions", Decoder::bool),
    );
    set(
        &mut config.allow_select_all,
        t.read(d, "allow_select_all", Decoder::bool),
    );
    set(
        &mut config.require_selection,
        t.read(d, "require_selection", Decoder::bool),
    );
    config.custom_message = t.read(d, "custom_message", Decoder::string);
    set(
        &mut config.excluded_tools,
        t.read(d, "excluded_tools", Decoder::strings),
    );
    set(
        &mut config.default_selected_tools,
        t.read(d, "default_selected_tools", Decoder::strings),
    );
    set(
        &mut config.remember_consent,
        t.read(d, "remember_consent", Decoder::bool),
    );
    t.finish(d);
    Some(config)
}

const SKIPPED: &[(&str, SkippedAppBehavior)] = &[
    ("anonymous", SkippedAppBehavior::Anonymous),
    ("require-auth", SkippedAppBehavior::RequireAuth),
];

pub(super) fn decode_incremental(
    d: &mut Decoder,
    node: &Node,
    path: &KeyPath,
) -> Option<IncrementalAuthConfig> {
    let mut config = IncrementalAuthConfig::default();
    let mut t = match block(d, node, path)? {
        Block::Flag(enabled) => {
            config.enabled = enabled;
            return Some(config);
        }
        Block::Table(t) => t,
    };
    set(&mut config.enabled, t.read(d, "enabled", Decoder::bool));
    set(
        &mut config.skipped_app_behavior,
        t.read(d, "skipped_app_behavior", |d, n, p| d.choice(n, p, SKIPPED)),
    );
    set(
        &mut config.allow_skip,
        t.read(d, "allow_skip", Decoder::bool),
    );
    set(
        &mut config.show_all_apps_at_once,
        t.read(d, "show_all_apps_at_once", Decoder::bool),
    );
    t.finish(d);
    Some(config)
}

const STATE_VALIDATION: &[(&str, StateValidation)] = &[
    ("strict", StateValidation::Strict),
    ("format", StateValidation::Format),
];

pub(super) fn decode_federated(
    d: &mut Decoder,
    node: &Node,
    path: &KeyPath,
) -> Option<FederatedAuthConfig> {
    let mut t = d.table(node, path)?;
    let mut config = FederatedAuthConfig::default();
    set(
        &mut config.state_validation,
        t.read(d, "state_validation", |d, n, p| {
            d.choice(n, p, STATE_VALIDATION)
        }),
    );
    config.min_providers = t.read(d, "min_providers", Decoder::u64);
    set(
        &mut config.required_providers,
        t.read(d, "required_providers", Decoder::strings),
    );
    t.finish(d);
    Some(config)
}

pub(super) fn decode_dcr(d: &mut Decoder, node: &Node, path: &KeyPath) -> Option<DcrConfig> {
    let mut config = DcrConfig::default();
    let mut t = match block(d, node, path)? {
        Block::Flag(enabled) => {
            config.enabled = Some(enabled);
            return Some(config);
        }
        Block::Table(t) => t,
    };
    config.enabled = t.read(d, "enabled", Decoder::bool);
    set(
        &mut config.allowed_redirect_uris,
        t.read(d, "allowed_redirect_uris", Decoder::strings),
    );
    config.initial_access_token = t.read(d, "initial_access_token", Decoder::secret);
    set(&mut config.clients, t.read(d, "clients", decode_clients));
    set(
        &mut config.max_dynamic_clients,
        t.read(d, "max_dynamic_clients", Decoder::u64),
    );
    t.finish(d);
    Some(config)
}

/// Pre-registered clients: a list of tables with `client_id`, or a table keyed by client id.
fn decode_clients(
    d: &mut Decoder,
    node: &Node,
    path: &KeyPath,
) -> Option<Vec<PreRegisteredClient>> {
    keyed_list(d, node, path, "client_id", |d, t, id| {
        let client_id = id.or_else(|| t.read(d, "client_id", Decoder::name));
        let client_secret = t.read(d, "client_secret", Decoder::secret);
        let name = t.read(d, "name", Decoder::name);
        let redirect_uris = t.read(d, "redirect_uris", Decoder::one_or_many);
        let Some(client_id) = client_id else {
            d.report(missing(
                t.path(),
                t.loc(),
                "client_id",
                "each client needs a `client_id`",
            ));
            return None;
        };
        let Some(redirect_uris) = redirect_uris else {
            d.report(missing(
                t.path(),
                t.loc(),
                "redirect_uris",
                "each client needs its exact `redirect_uris`",
            ));
            return None;
        };
        Some(PreRegisteredClient {
            client_id,
            client_secret,
            name,
            redirect_uris,
        })
    })
}

pub(super) fn decode_cimd(d: &mut Decoder, node: &Node, path: &KeyPath) -> Option<CimdConfig> {
    let mut config = CimdConfig::default();
    let mut t = match block(d, node, path)? {
        Block::Flag(enabled) => {
            config.enabled = enabled;
            return Some(config);
        }
        Block::Table(t) => t,
    };
    set(&mut config.enabled, t.read(d, "enabled", Decoder::bool));
    set(
        &mut config.fetch_timeout_seconds,
        t.read(d, "fetch_timeout_seconds", Decoder::u64),
    );
    set(
        &mut config.max_document_bytes,
        t.read(d, "max_document_bytes", Decoder::u64),
    );
    set(
        &mut config.max_cache_seconds,
        t.read(d, "max_cache_seconds", Decoder::u64),
    );
    set(
        &mut config.allow_private_targets,
        t.read(d, "allow_private_targets", Decoder::bool),
    );
    t.finish(d);
    Some(config)
}

pub(super) fn decode_pkce(d: &mut Decoder, node: &Node, path: &KeyPath) -> Option<PkceConfig> {
    let mut t = d.table(node, path)?;
    let mut config = PkceConfig::default();
    set(&mut config.method, t.read(d, "method", Decoder::name));
    t.finish(d);
    Some(config)
}

/// Upstream providers: a list of tables with `id`, or a table keyed by id
/// (`providers(github(...), slack(...))` in the attribute).
pub(super) fn decode_providers(
    d: &mut Decoder,
    node: &Node,
    path: &KeyPath,
) -> Option<Vec<UpstreamProvider>> {
    keyed_list(d, node, path, "id", |d, t, id| {
        let id = id.or_else(|| t.read(d, "id", Decoder::name));
        let name = t.read(d, "name", Decoder::name);
        let authorization_endpoint = t.read(d, "authorization_endpoint", Decoder::name);
        let token_endpoint = t.read(d, "token_endpoint", Decoder::name);
        let client_id = t.read(d, "client_id", Decoder::name);
        let client_secret = t.read(d, "client_secret", Decoder::secret);
        let scopes = t.read(d, "scopes", Decoder::strings).unwrap_or_default();
        let user_info_endpoint = t.read(d, "user_info_endpoint", Decoder::name);
        let jwks_uri = t.read(d, "jwks_uri", Decoder::name);
        let mut complete = true;
        for (key, value) in [
            ("id", id.is_some()),
            ("authorization_endpoint", authorization_endpoint.is_some()),
            ("token_endpoint", token_endpoint.is_some()),
            ("client_id", client_id.is_some()),
        ] {
            if !value && !d.index.is_set(&t.path().key(key)) {
                d.report(missing(
                    t.path(),
                    t.loc(),
                    key,
                    &format!("a provider needs `{key}`"),
                ));
                complete = false;
            }
        }
        if !complete {
            return None;
        }
        Some(UpstreamProvider {
            id: id?,
            name,
            authorization_endpoint: authorization_endpoint?,
            token_endpoint: token_endpoint?,
            client_id: client_id?,
            client_secret,
            scopes,
            user_info_endpoint,
            jwks_uri,
        })
    })
}

fn missing(table: &KeyPath, loc: crate::Loc, key: &str, message: &str) -> Violation {
    Violation::new(
        Rule::MissingKey,
        table.key(key),
        Some(loc),
        message.to_owned(),
    )
    .help(format!("add `{key}`"))
}

/// Decodes entries written either as a list of tables each holding `id_key`, or as a table
/// keyed by id. `read_one` gets the entry's table and, in the keyed form, the id.
fn keyed_list<T>(
    d: &mut Decoder,
    node: &Node,
    path: &KeyPath,
    id_key: &'static str,
    mut read_one: impl FnMut(&mut Decoder, &mut TableReader<'_>, Option<String>) -> Option<T>,
) -> Option<Vec<T>> {
    let mut out = Vec::new();
    let mut complete = true;
    match &node.kind {
        NodeKind::List(items) => {
            for (i, item) in items.iter().enumerate() {
                let Some(mut t) = d.table(item, &path.index(i)) else {
                    complete = false;
                    continue;
                };
                let value = read_one(d, &mut t, None);
                t.finish(d);
                complete &= value.is_some();
                out.extend(value);
            }
        }
        NodeKind::Table(_) => {
            let mut t = d.table(node, path)?;
            for (id, _, value) in t.take_entries(d) {
                let entry_path = path.key(id);
                let Some(mut entry) = d.table(value, &entry_path) else {
                    complete = false;
                    continue;
                };
                if let Some(field) = entry.take(d, id_key) {
                    let written = d.string(field.node, &entry_path.key(id_key));
                    if written.as_deref().is_some_and(|w| w != id) {
                        d.report(
                            Violation::new(
                                Rule::ConflictingKeys,
                                entry_path.key(id_key),
                                Some(field.key_loc),
                                format!("`{id_key}` differs from the entry's name `{id}`"),
                            )
                            .help(format!("drop `{id_key}`; the entry's name is its {id_key}")),
                        );
                    }
                }
                let value = read_one(d, &mut entry, Some(id.to_owned()));
                entry.finish(d);
                complete &= value.is_some();
                out.extend(value);
            }
            t.finish(d);
        }
        _ => {
            d.wrong_type(node, path, "a list of tables or a table keyed by id");
            return None;
        }
    }
    complete.then_some(out)
}
