//! `auth(...)`: the mode (with the seeds' legacy `orchestrated` + `type` shape) and its options.

use super::blocks::{
    decode_cimd, decode_consent, decode_dcr, decode_federated, decode_incremental, decode_pkce,
    decode_provider_config, decode_public_access, decode_refresh, decode_signing,
};
use super::parties::decode_providers;
use super::reader::{Decoder, TableReader};
use super::set;
use super::storage::decode_storage;
use crate::model::{AuthConfig, AuthMode, SessionMode};
use crate::node::Node;
use crate::path::KeyPath;
use crate::violation::{Rule, Violation};

const MODES: &[(&str, Option<AuthMode>)] = &[
    ("public", Some(AuthMode::Public)),
    ("transparent", Some(AuthMode::Transparent)),
    ("local", Some(AuthMode::Local)),
    ("remote", Some(AuthMode::Remote)),
    ("orchestrated", None),
];

const ORCHESTRATED_TYPES: &[(&str, AuthMode)] =
    &[("local", AuthMode::Local), ("remote", AuthMode::Remote)];

const SESSION_MODES: &[(&str, SessionMode)] = &[
    ("stateful", SessionMode::Stateful),
    ("stateless", SessionMode::Stateless),
];

/// Decodes an `auth` table (server level or an app's).
pub(super) fn decode_auth(d: &mut Decoder, node: &Node, path: &KeyPath) -> Option<AuthConfig> {
    let mut t = d.table(node, path)?;
    let mut auth = AuthConfig::default();
    set(&mut auth.mode, decode_mode(d, &mut t));

    set(
        &mut auth.session_ttl,
        t.read(d, "session_ttl", Decoder::u64),
    );
    set(
        &mut auth.public_access,
        t.read(d, "public_access", decode_public_access),
    );
    set(
        &mut auth.anonymous_scopes,
        t.read(d, "anonymous_scopes", Decoder::strings),
    );

    auth.provider = t.read(d, "provider", Decoder::name);
    set(
        &mut auth.provider_config,
        t.read(d, "provider_config", decode_provider_config),
    );
    set(
        &mut auth.expected_audience,
        t.read(d, "expected_audience", Decoder::one_or_many),
    );
    set(
        &mut auth.require_audience,
        t.read(d, "require_audience", Decoder::bool),
    );
    set(
        &mut auth.required_scopes,
        t.read(d, "required_scopes", Decoder::strings),
    );
    set(
        &mut auth.allow_anonymous,
        t.read(d, "allow_anonymous", Decoder::bool),
    );

    set(
        &mut auth.session_mode,
        t.read(d, "session_mode", |d, n, p| d.choice(n, p, SESSION_MODES)),
    );
    set(
        &mut auth.token_storage,
        t.read(d, "token_storage", decode_storage),
    );
    set(&mut auth.local, t.read(d, "local", decode_signing));
    set(&mut auth.refresh, t.read(d, "refresh", decode_refresh));
    set(&mut auth.consent, t.read(d, "consent", decode_consent));
    set(
        &mut auth.allow_default_public,
        t.read(d, "allow_default_public", Decoder::bool),
    );
    set(
        &mut auth.incremental_auth,
        t.read(d, "incremental_auth", decode_incremental),
    );
    set(
        &mut auth.federated_auth,
        t.read(d, "federated_auth", decode_federated),
    );
    set(&mut auth.dcr, t.read(d, "dcr", decode_dcr));
    decode_dcr_enabled_alias(d, &mut t, &mut auth);
    set(&mut auth.cimd, t.read(d, "cimd", decode_cimd));
    set(
        &mut auth.require_registered_clients,
        t.read(d, "require_registered_clients", Decoder::bool),
    );
    set(&mut auth.pkce, t.read(d, "pkce", decode_pkce));

    set(
        &mut auth.require_email,
        t.read(d, "require_email", Decoder::bool),
    );
    auth.anonymous_subject = t.read(d, "anonymous_subject", Decoder::name);
    set(
        &mut auth.providers,
        t.read(d, "providers", decode_providers),
    );
    set(
        &mut auth.login,
        t.read(d, "login", super::login::decode_login),
    );

    auth.client_id = t.read(d, "client_id", Decoder::name);
    auth.client_secret = t.read(d, "client_secret", Decoder::secret);
    set(&mut auth.scopes, t.read(d, "scopes", Decoder::strings));
    set(
        &mut auth.scopes_supported,
        t.read(d, "scopes_supported", Decoder::strings),
    );
    set(
        &mut auth.id_jag,
        t.read(d, "id_jag", super::parties::decode_id_jag),
    );
    auth.vault_key = t.read(d, "vault_key", Decoder::secret);
    t.finish(d);
    Some(auth)
}

/// `mode = "local"`, or the seeds' `mode = "orchestrated", type = "local" | "remote"`.
fn decode_mode(d: &mut Decoder, t: &mut TableReader<'_>) -> Option<AuthMode> {
    let mode_path = t.path().key("mode");
    let type_path = t.path().key("type");
    let mode_field = t.take(d, "mode");
    let type_field = t.take(d, "type");
    let mode = match mode_field {
        Some(field) => d.choice(field.node, &mode_path, MODES)?,
        None => match type_field {
            Some(field) => {
                d.report(
                    Violation::new(
                        Rule::MissingKey,
                        type_path,
                        Some(field.key_loc),
                        "`type` is only valid together with mode = \"orchestrated\"",
                    )
                    .help("write mode = \"local\" (or \"remote\") and drop `type`"),
                );
                return None;
            }
            None => return Some(AuthMode::Public),
        },
    };
    match (mode, type_field) {
        (Some(mode), None) => Some(mode),
        (Some(mode), Some(field)) => {
            d.report(
                Violation::new(
                    Rule::InvalidValue,
                    type_path,
                    Some(field.key_loc),
                    format!(
                        "`type` is only valid with mode = \"orchestrated\", not \"{}\"",
                        mode.as_str()
                    ),
                )
                .help("remove `type`"),
            );
            Some(mode)
        }
        (None, Some(field)) => d.choice(field.node, &type_path, ORCHESTRATED_TYPES),
        (None, None) => {
            let loc = d.index.loc(&mode_path);
            d.report(
                Violation::new(
                    Rule::MissingKey,
                    mode_path,
                    loc,
                    "mode = \"orchestrated\" needs `type = \"local\"` or `type = \"remote\"`",
                )
                .help("or write mode = \"local\" / mode = \"remote\" directly"),
            );
            None
        }
    }
}

/// The seeds' `dcrEnabled` flag, the same as `dcr.enabled`.
fn decode_dcr_enabled_alias(d: &mut Decoder, t: &mut TableReader<'_>, auth: &mut AuthConfig) {
    let Some(enabled) = t.read(d, "dcr_enabled", Decoder::bool) else {
        return;
    };
    let dcr_enabled_path = t.path().key("dcr").key("enabled");
    if d.index.is_set(&dcr_enabled_path) && auth.dcr.enabled != Some(enabled) {
        let alias = t.path().key("dcr_enabled");
        let loc = d.index.loc(&alias);
        d.report(
            Violation::new(
                Rule::ConflictingKeys,
                alias,
                loc,
                "`dcr_enabled` and `dcr.enabled` disagree",
            )
            .help("keep only `dcr.enabled`"),
        );
        return;
    }
    auth.dcr.enabled = Some(enabled);
}
