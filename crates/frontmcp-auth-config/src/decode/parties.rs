//! The parties a configuration names: pre-registered clients (`dcr.clients`), trusted ID-JAG
//! issuers (`id_jag.issuers`) and federated providers (`providers`), each written as a list of
//! tables or as tables keyed by id.

use super::reader::{Decoder, TableReader};
use crate::model::{IdJagConfig, PreRegisteredClient, TrustedIssuer, UpstreamProvider};
use crate::node::{Node, NodeKind};
use crate::path::KeyPath;
use crate::violation::{Rule, Violation};

/// `id_jag(issuers(...))`: the trusted enterprise issuers, a list of tables with `issuer`.
pub(super) fn decode_id_jag(d: &mut Decoder, node: &Node, path: &KeyPath) -> Option<IdJagConfig> {
    let mut t = d.table(node, path)?;
    let mut config = IdJagConfig::default();
    if let Some(list) = t.read(d, "issuers", |d, node, path| {
        // A list of tables, or (in the attribute) tables under names of your choosing:
        // `issuers(corp(issuer = "..."))`.
        let items: Vec<(KeyPath, &Node)> = match &node.kind {
            NodeKind::List(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| (path.index(i), item))
                .collect(),
            NodeKind::Table(entries) => entries
                .iter()
                .map(|(key, item)| (path.key(&key.name), item))
                .collect(),
            _ => {
                d.wrong_type(node, path, "a list of issuer tables");
                return None;
            }
        };
        let mut issuers = Vec::new();
        for (at, item) in items {
            let Some(mut t) = d.table(item, &at) else {
                continue;
            };
            let issuer = t.read(d, "issuer", Decoder::name);
            let jwks_uri = t.read(d, "jwks_uri", Decoder::name);
            let jwks = t
                .read(d, "jwks", Decoder::json_object)
                .map(serde_json::Value::Object);
            let algorithms = t
                .read(d, "algorithms", Decoder::strings)
                .unwrap_or_else(|| vec![String::from("RS256"), String::from("ES256")]);
            let loc = t.loc();
            t.finish(d);
            match issuer {
                Some(issuer) => issuers.push(TrustedIssuer {
                    issuer,
                    jwks_uri,
                    jwks,
                    algorithms,
                }),
                None => d.report(missing(
                    &at,
                    loc,
                    "issuer",
                    "each trusted issuer needs `issuer`",
                )),
            }
        }
        Some(issuers)
    }) {
        config.issuers = list;
    }
    t.finish(d);
    Some(config)
}

/// Pre-registered clients: a list of tables with `client_id`, or a table keyed by client id.
pub(super) fn decode_clients(
    d: &mut Decoder,
    node: &Node,
    path: &KeyPath,
) -> Option<Vec<PreRegisteredClient>> {
    keyed_list(d, node, path, "client_id", |d, t, id| {
        let client_id = id.or_else(|| t.read(d, "client_id", Decoder::name));
        let client_secret = t.read(d, "client_secret", Decoder::secret);
        let name = t.read(d, "name", Decoder::name);
        let redirect_uris = t.read(d, "redirect_uris", Decoder::one_or_many);
        let grant_types = t
            .read(d, "grant_types", Decoder::strings)
            .unwrap_or_default();
        let scopes = t.read(d, "scopes", Decoder::strings).unwrap_or_default();
        let jwks = t
            .read(d, "jwks", Decoder::json_object)
            .map(serde_json::Value::Object);
        let jwks_uri = t.read(d, "jwks_uri", Decoder::name);
        let Some(client_id) = client_id else {
            d.report(missing(
                t.path(),
                t.loc(),
                "client_id",
                "each client needs a `client_id`",
            ));
            return None;
        };
        // Grants without a browser need no redirect URI.
        let machine_only = !grant_types.is_empty()
            && grant_types.iter().all(|g| {
                g == "client_credentials" || g == "urn:ietf:params:oauth:grant-type:jwt-bearer"
            });
        let redirect_uris = match redirect_uris {
            Some(uris) => uris,
            None if machine_only => Vec::new(),
            None => {
                d.report(missing(
                    t.path(),
                    t.loc(),
                    "redirect_uris",
                    "each client that signs users in needs its exact `redirect_uris`",
                ));
                return None;
            }
        };
        Some(PreRegisteredClient {
            client_id,
            client_secret,
            name,
            redirect_uris,
            grant_types,
            scopes,
            jwks,
            jwks_uri,
        })
    })
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
        let preset = t.read(d, "preset", Decoder::name);
        let issuer = t.read(d, "issuer", Decoder::name);
        let authorization_endpoint = t.read(d, "authorization_endpoint", Decoder::name);
        let token_endpoint = t.read(d, "token_endpoint", Decoder::name);
        let client_id = t.read(d, "client_id", Decoder::name);
        let client_secret = t.read(d, "client_secret", Decoder::secret);
        let scopes = t.read(d, "scopes", Decoder::strings).unwrap_or_default();
        let user_info_endpoint = t.read(d, "user_info_endpoint", Decoder::name);
        let jwks_uri = t.read(d, "jwks_uri", Decoder::name);
        let mut complete = true;
        for (key, value) in [("id", id.is_some()), ("client_id", client_id.is_some())] {
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
            preset,
            issuer,
            authorization_endpoint,
            token_endpoint,
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
