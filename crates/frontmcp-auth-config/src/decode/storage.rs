//! `token_storage(...)`: `"memory"`, `{ sqlite = {...} }`, `{ redis = {...} }`, or the seeds'
//! `{ type, config }`, with exactly one backend.

use super::reader::Decoder;
use super::set;
use crate::model::{RedisConfig, SqliteConfig, SqliteEncryption, TokenStorage};
use crate::node::{Node, NodeKind};
use crate::path::KeyPath;
use crate::violation::{Rule, Violation};

const BACKENDS: &[&str] = &["memory", "sqlite", "redis"];

/// Decodes a `token_storage` value.
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
    set(&mut config.port, t.read(d, "port", Decoder::port));
    config.password = t.read(d, "password", Decoder::secret);
    if let Some(db) = t.read(d, "db", |d, n, p| d.bounded(n, p, u64::from(u32::MAX))) {
        config.db = u32::try_from(db).unwrap_or(0);
    }
    set(&mut config.tls, t.read(d, "tls", Decoder::bool));
    set(
        &mut config.private_network,
        t.read(d, "private_network", Decoder::bool),
    );
    set(
        &mut config.key_prefix,
        t.read(d, "key_prefix", Decoder::string),
    );
    set(&mut config.cluster, t.read(d, "cluster", Decoder::strings));
    t.finish(d);
    Some(config)
}
