//! `config print`: the effective configuration, one value a line, with where each came from.

use frontmcp_auth_config::{AuthConfig, KeyPath};
use serde_json::Value;

use super::load::LoadedConfig;
use super::source::Source;

/// Renders every effective value as `key = value  # source`. Secrets print as `[redacted]`;
/// auth options that the mode does not use are left out.
pub fn render_effective(loaded: &LoadedConfig) -> String {
    let config = &loaded.config;
    let mut lines: Vec<(String, String, Source)> = Vec::new();
    let root = KeyPath::root();
    let mut top = serde_json::Map::new();
    top.insert("info".into(), to_json(&config.info));
    top.insert("split_by_app".into(), Value::Bool(config.split_by_app));
    top.insert("http".into(), to_json(&config.http));
    top.insert("logging".into(), to_json(&config.logging));
    walk(&Value::Object(top), &root, loaded, &mut lines);
    if !config.split_by_app {
        let auth = config.effective_auth();
        walk(&auth_view(&auth), &root.key("auth"), loaded, &mut lines);
    }
    for app in &config.apps {
        let base = root.key("apps").key(&app.id);
        match &app.auth {
            Some(auth) => walk(&auth_view(auth), &base.key("auth"), loaded, &mut lines),
            None => lines.push((
                base.to_string(),
                String::from("{}"),
                loaded.sources.source_of(&base),
            )),
        }
    }
    let width = lines
        .iter()
        .map(|(k, v, _)| k.len() + v.len() + 3)
        .max()
        .unwrap_or(0)
        .min(72);
    let mut out = String::new();
    for (key, value, source) in lines {
        let assignment = format!("{key} = {value}");
        out.push_str(&format!("{assignment:<width$}  # {source}\n"));
    }
    out
}

fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// The auth record with only the options its mode uses.
fn auth_view(auth: &AuthConfig) -> Value {
    let Value::Object(all) = to_json(auth) else {
        return Value::Null;
    };
    Value::Object(
        all.into_iter()
            .filter(|(key, _)| {
                AuthConfig::modes_of(key).is_some_and(|modes| modes.contains(&auth.mode))
            })
            .collect(),
    )
}

fn walk(
    value: &Value,
    path: &KeyPath,
    loaded: &LoadedConfig,
    lines: &mut Vec<(String, String, Source)>,
) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, child) in map {
                walk(child, &path.key(key), loaded, lines);
            }
        }
        Value::Null => {}
        other => {
            let source = source_for(path, loaded);
            lines.push((path.to_string(), other.to_string(), source));
        }
    }
}

/// The source of a value, also trying the seeds' `{ type, config }` spelling of storage keys.
fn source_for(path: &KeyPath, loaded: &LoadedConfig) -> Source {
    let direct = loaded.sources.source_of(path);
    if direct != Source::Default {
        return direct;
    }
    let text = path.to_string();
    for backend in [".token_storage.redis.", ".token_storage.sqlite."] {
        if text.contains(backend) {
            let legacy = text.replacen(backend, ".token_storage.config.", 1);
            return loaded.sources.source_of(&KeyPath::parse(&legacy));
        }
    }
    direct
}
