//! The configuration layers as figment providers: the attribute, a TOML/JSON file, the
//! `FRONTMCP_*` environment and the seeds' own variables.
//!
//! Every layer canonicalizes its keys (`tokenStorage` → `token_storage`) before figment merges
//! them, so a camelCase file overrides a snake_case attribute key as one would expect.

use std::path::{Path, PathBuf};

use figment::value::{Dict, Map, Value};
use figment::{Error as FigmentError, Metadata, Profile, Provider};
use frontmcp_auth_config::{
    ENV_DEFAULT_MARKER, ENV_MARKER, KeyPath, Rule, Violation, canonical_key,
};

use super::source::Environment;

/// Figment metadata names, one per kind of layer; [`super::load`] maps them back to sources.
pub(crate) const ATTRIBUTE_LAYER: &str = "frontmcp attribute";
pub(crate) const FILE_LAYER: &str = "frontmcp file";
pub(crate) const ENV_LAYER: &str = "frontmcp env";
pub(crate) const SEED_ENV_LAYER: &str = "frontmcp seed env";

/// The prefix of generic environment overrides; `__` separates nested keys.
pub const ENV_PREFIX: &str = "FRONTMCP_";
/// The public base URL of the server, the same as `http.public_url`.
pub const PUBLIC_URL_VAR: &str = "FRONTMCP_PUBLIC_URL";
/// Names the configuration file to read instead of `./frontmcp.toml`.
pub const CONFIG_FILE_VAR: &str = "FRONTMCP_CONFIG";
/// The deployment profile, the same as `security.profile` (`production` or `development`).
pub const PROFILE_VAR: &str = "FRONTMCP_ENV";

/// Short variables that set one nested key each.
pub const SHORT_VARS: &[(&str, &[&str])] = &[
    (PUBLIC_URL_VAR, &["http", "public_url"]),
    (PROFILE_VAR, &["security", "profile"]),
    ("FRONTMCP_ADMIN_TOKEN", &["security", "admin_token"]),
    ("FRONTMCP_METRICS_TOKEN", &["security", "metrics_token"]),
];

/// One ready layer: its data and metadata.
pub(crate) struct Layer {
    pub(crate) metadata: Metadata,
    pub(crate) data: Dict,
}

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        self.metadata.clone()
    }

    fn data(&self) -> Result<Map<Profile, Dict>, FigmentError> {
        let mut map = Map::new();
        map.insert(Profile::Default, self.data.clone());
        Ok(map)
    }
}

/// Converts JSON to a figment value with canonical keys, reporting keys that collide once
/// canonicalized (`tokenStorage` beside `token_storage`).
pub(crate) fn json_to_value(
    json: &serde_json::Value,
    path: &KeyPath,
    problems: &mut Vec<Violation>,
) -> Value {
    match json {
        serde_json::Value::Null => Value::from(Dict::new()),
        serde_json::Value::Bool(b) => Value::from(*b),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Value::from(i),
            (None, Some(f)) => Value::from(f),
            (None, None) => Value::from(n.to_string()),
        },
        serde_json::Value::String(s) => Value::from(s.as_str()),
        serde_json::Value::Array(items) => Value::from(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| json_to_value(item, &path.index(i), problems))
                .collect::<Vec<_>>(),
        ),
        serde_json::Value::Object(map) => {
            let mut dict = Dict::new();
            let mut written: Map<String, String> = Map::new();
            for (key, value) in map {
                let canonical = if key.starts_with('$') {
                    key.clone()
                } else {
                    canonical_key(key)
                };
                if let Some(first) = written.get(&canonical) {
                    problems.push(
                        Violation::new(
                            Rule::DuplicateKey,
                            path.key(&canonical),
                            None,
                            format!("`{first}` and `{key}` name the same option"),
                        )
                        .help("keep one of them"),
                    );
                    continue;
                }
                written.insert(canonical.clone(), key.clone());
                dict.insert(
                    canonical.clone(),
                    json_to_value(value, &path.key(&canonical), problems),
                );
            }
            Value::from(dict)
        }
    }
}

/// The attribute layer: the JSON the macro (or the builder) produced, with every
/// `env("NAME")` marker replaced by the variable's value.
pub(crate) fn attribute_layer(
    server: &str,
    json: &serde_json::Value,
    env: &Environment,
    problems: &mut Vec<Violation>,
) -> Layer {
    let resolved = resolve_env_markers(json, &KeyPath::root(), env, problems);
    let data = match json_to_value(&resolved, &KeyPath::root(), problems) {
        Value::Dict(_, dict) => dict,
        _ => Dict::new(),
    };
    Layer {
        metadata: Metadata::named(ATTRIBUTE_LAYER)
            .source(figment::Source::Custom(server.to_owned())),
        data,
    }
}

/// Replaces `{"$env": "NAME", "$default": value}` markers. A variable that is not set and has
/// no default is a violation. Values read from the environment stay strings and are marked so
/// the decoder may read `"6379"` as a number.
fn resolve_env_markers(
    json: &serde_json::Value,
    path: &KeyPath,
    env: &Environment,
    problems: &mut Vec<Violation>,
) -> serde_json::Value {
    match json {
        serde_json::Value::Object(map) => {
            if let Some(var) = map.get(ENV_MARKER).and_then(serde_json::Value::as_str) {
                return match (env.get(var), map.get(ENV_DEFAULT_MARKER)) {
                    (Some(value), _) => {
                        serde_json::json!({ ENV_VALUE_MARKER: value, ENV_VAR_MARKER: var })
                    }
                    (None, Some(default)) => default.clone(),
                    (None, None) => {
                        problems.push(
                            Violation::new(
                                Rule::MissingKey,
                                path.clone(),
                                None,
                                format!("the environment variable {var} is not set"),
                            )
                            .help(format!(
                                "set {var}, or give env(\"{var}\", default = ...) in the attribute"
                            )),
                        );
                        serde_json::Value::Null
                    }
                };
            }
            serde_json::Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            resolve_env_markers(v, &path.key(&canonical_key(k)), env, problems),
                        )
                    })
                    .collect(),
            )
        }
        serde_json::Value::Array(items) => serde_json::Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| resolve_env_markers(v, &path.index(i), env, problems))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Marks a value that an attribute's `env("NAME")` read from the environment.
pub(crate) const ENV_VALUE_MARKER: &str = "$env_value";
/// The variable such a value came from.
pub(crate) const ENV_VAR_MARKER: &str = "$env_var";

/// Which configuration file to read, if any: `FRONTMCP_CONFIG`, else `./frontmcp.toml` when it
/// exists.
pub fn default_config_file(env: &Environment) -> Option<PathBuf> {
    if let Some(path) = env.get(CONFIG_FILE_VAR).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let local = PathBuf::from("frontmcp.toml");
    local.is_file().then_some(local)
}

/// The file layer: TOML, or JSON when the file name ends in `.json`. A file that cannot be
/// read or parsed is a violation, not a panic.
pub(crate) fn file_layer(path: &Path, problems: &mut Vec<Violation>) -> Option<Layer> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) => {
            problems.push(
                Violation::new(
                    Rule::InvalidValue,
                    KeyPath::root(),
                    None,
                    format!("cannot read {}: {err}", path.display()),
                )
                .help(format!(
                    "check the path (set by {CONFIG_FILE_VAR} or ./frontmcp.toml)"
                )),
            );
            return None;
        }
    };
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let parsed: Result<serde_json::Value, String> = if is_json {
        serde_json::from_str(&text).map_err(|e| e.to_string())
    } else {
        toml::from_str::<toml::Table>(&text)
            .map_err(|e| e.to_string())
            .and_then(|table| serde_json::to_value(table).map_err(|e| e.to_string()))
    };
    let json = match parsed {
        Ok(json) => json,
        Err(err) => {
            let kind = if is_json { "JSON" } else { "TOML" };
            problems.push(Violation::new(
                Rule::InvalidValue,
                KeyPath::root(),
                None,
                format!("{} is not valid {kind}: {}", path.display(), err.trim()),
            ));
            return None;
        }
    };
    let data = match json_to_value(&json, &KeyPath::root(), problems) {
        Value::Dict(_, dict) => dict,
        _ => Dict::new(),
    };
    Some(Layer {
        metadata: Metadata::named(FILE_LAYER).source(figment::Source::File(path.to_path_buf())),
        data,
    })
}

/// The generic environment layer: `FRONTMCP_AUTH__TOKEN_STORAGE__REDIS__HOST=...` sets
/// `auth.token_storage.redis.host`. Values stay strings; the decoder reads them by the type
/// the option needs, so an all-digit secret stays a string.
pub(crate) fn env_layer(env: &Environment) -> Layer {
    let mut data = Dict::new();
    let short_vars: Vec<(&'static str, &'static [&'static str])> = SHORT_VARS
        .iter()
        .filter(|(var, _)| env.get(var).is_some())
        .copied()
        .collect();
    for (name, value) in env.with_prefix(ENV_PREFIX) {
        if name == CONFIG_FILE_VAR {
            continue;
        }
        if let Some((_, keys)) = SHORT_VARS.iter().find(|(var, _)| *var == name) {
            let keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
            insert_path(&mut data, &keys, Value::from(value));
            continue;
        }
        let keys: Vec<String> = name[ENV_PREFIX.len()..]
            .split("__")
            .map(|k| k.to_ascii_lowercase())
            .collect();
        if keys.iter().any(String::is_empty) {
            continue;
        }
        insert_path(&mut data, &keys, Value::from(value));
    }
    Layer {
        metadata: Metadata::named(ENV_LAYER).interpolater(move |_: &Profile, keys: &[&str]| {
            if let Some((var, _)) = short_vars.iter().find(|(_, path)| *path == keys) {
                return (*var).to_owned();
            }
            let joined: Vec<String> = keys.iter().map(|k| k.to_ascii_uppercase()).collect();
            format!("{ENV_PREFIX}{}", joined.join("__"))
        }),
        data,
    }
}

/// Inserts `value` at `keys`, creating tables on the way (a later scalar replaces a table).
pub(crate) fn insert_path(dict: &mut Dict, keys: &[String], value: Value) {
    let Some((first, rest)) = keys.split_first() else {
        return;
    };
    if rest.is_empty() {
        dict.insert(first.clone(), value);
        return;
    }
    let entry = dict
        .entry(first.clone())
        .or_insert_with(|| Value::from(Dict::new()));
    if !matches!(entry, Value::Dict(..)) {
        *entry = Value::from(Dict::new());
    }
    if let Value::Dict(_, inner) = entry {
        insert_path(inner, rest, value);
    }
}
