//! The nested blocks of `auth(...)`.

use super::reader::{Decoder, TableReader};
use super::set;
use crate::model::{
    CimdConfig, ConsentConfig, DcrConfig, FederatedAuthConfig, IncrementalAuthConfig,
    LocalSigningConfig, MAX_REUSE_GRACE_SECONDS, PkceConfig, ProviderConfig, PublicAccess,
    RefreshConfig, SignKey, SkippedAppBehavior, StateValidation, ToolAccess, UpstreamAuthMethod,
};
use crate::node::{Node, NodeKind};
use crate::path::KeyPath;

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
        &mut access.resources,
        t.read(d, "resources", decode_tool_access),
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
    config.issuer = t.read(d, "issuer", Decoder::name);
    config.tenant = t.read(d, "tenant", Decoder::name);
    config.authorization_endpoint = t.read(d, "authorization_endpoint", Decoder::name);
    config.token_endpoint = t.read(d, "token_endpoint", Decoder::name);
    config.userinfo_endpoint = t.read(d, "userinfo_endpoint", Decoder::name);
    config.revocation_endpoint = t.read(d, "revocation_endpoint", Decoder::name);
    config.token_endpoint_auth_method = t.read(d, "token_endpoint_auth_method", |d, n, p| {
        d.choice(n, p, UPSTREAM_AUTH_METHODS)
    });
    set(
        &mut config.authorization_params,
        t.read(d, "authorization_params", decode_string_map),
    );
    t.finish(d);
    Some(config)
}

const UPSTREAM_AUTH_METHODS: &[(&str, UpstreamAuthMethod)] = &[
    ("client_secret_basic", UpstreamAuthMethod::ClientSecretBasic),
    ("client_secret_post", UpstreamAuthMethod::ClientSecretPost),
    ("none", UpstreamAuthMethod::None),
];

/// A table of strings (`authorization_params(audience = "...")`).
fn decode_string_map(
    d: &mut Decoder,
    node: &Node,
    path: &KeyPath,
) -> Option<std::collections::BTreeMap<String, String>> {
    let mut t = d.table(node, path)?;
    let mut map = std::collections::BTreeMap::new();
    for (key, _, value) in t.take_entries(d) {
        if let Some(text) = d.string(value, &path.key(key)) {
            map.insert(key.to_owned(), text);
        }
    }
    t.finish(d);
    Some(map)
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
        previous_keys: t
            .read(d, "previous_keys", decode_previous_keys)
            .unwrap_or_default(),
        issuer: t.read(d, "issuer", Decoder::name),
        key_rotation_days: t.read(d, "key_rotation_days", Decoder::u64),
        ..LocalSigningConfig::default()
    };
    set(&mut config.max_keys, t.read(d, "max_keys", Decoder::u64));
    t.finish(d);
    Some(config)
}

/// `previous_keys`: a list of JWKs, a JWKS (`{"keys": [...]}`), or either as a JSON string (the
/// `JWT_PREVIOUS_SIGNING_KEYS` variable).
fn decode_previous_keys(d: &mut Decoder, node: &Node, path: &KeyPath) -> Option<Vec<SignKey>> {
    let from_json = |value: serde_json::Value| -> Option<Vec<serde_json::Value>> {
        match value {
            serde_json::Value::Array(items) => Some(items),
            serde_json::Value::Object(mut map) => match map.remove("keys") {
                Some(serde_json::Value::Array(items)) => Some(items),
                _ => None,
            },
            _ => None,
        }
    };
    let items: Vec<serde_json::Value> = match &node.kind {
        NodeKind::List(_) | NodeKind::Table(_) => from_json(node.to_json()),
        NodeKind::Str(text) => serde_json::from_str(text).ok().and_then(from_json),
        _ => None,
    }
    .or_else(|| {
        d.wrong_type(node, path, "a list of JWKs, or a JWKS");
        None
    })?;
    let mut keys = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        match item {
            serde_json::Value::Object(map) => keys.push(SignKey::new(map)),
            _ => {
                let violation =
                    d.invalid(node, &path.index(i), "a previous key is not a JWK object");
                d.report(violation);
            }
        }
    }
    Some(keys)
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
        // A longer window would let a stolen refresh token be replayed unnoticed.
        t.read(d, "reuse_grace_seconds", |d, n, p| {
            d.bounded(n, p, MAX_REUSE_GRACE_SECONDS)
        }),
    );
    set(&mut config.sliding, t.read(d, "sliding", Decoder::bool));
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
    set(
        &mut config.clients,
        t.read(d, "clients", super::parties::decode_clients),
    );
    set(
        &mut config.max_dynamic_clients,
        t.read(d, "max_dynamic_clients", Decoder::u64),
    );
    set(
        &mut config.client_ttl,
        t.read(d, "client_ttl", Decoder::u64),
    );
    t.finish(d);
    Some(config)
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
        &mut config.allowed_hosts,
        t.read(d, "allowed_hosts", Decoder::strings),
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
