//! The seeds' own environment variables (`JWT_SECRET`, `REDIS_HOST`, `IDP_PROVIDER_URL`, ...).
//!
//! They apply to the server-level `auth` and only where the configured mode uses them: a
//! `REDIS_HOST` means nothing to a server on SQLite. A variable that is set but does not apply
//! is reported as a note (shown by `config check` and logged at start-up), never silently
//! dropped.

use figment::value::{Dict, Value};
use figment::{Figment, Metadata, Profile};

use super::layers::{Layer, SEED_ENV_LAYER, insert_path};
use super::source::Environment;

/// Which modes a seed variable applies to, and the key it sets.
struct SeedVar {
    var: &'static str,
    key: &'static [&'static str],
    modes: &'static [&'static str],
    needs_redis: bool,
}

const ORCHESTRATED: &[&str] = &["local", "remote"];

const SEED_VARS: &[SeedVar] = &[
    SeedVar {
        var: "JWT_SECRET",
        key: &["auth", "local", "jwt_secret"],
        modes: ORCHESTRATED,
        needs_redis: false,
    },
    SeedVar {
        var: "JWT_SECRET_OLD",
        key: &["auth", "local", "jwt_secret_old"],
        modes: ORCHESTRATED,
        needs_redis: false,
    },
    SeedVar {
        var: "JWT_PREVIOUS_SIGNING_KEYS",
        key: &["auth", "local", "previous_keys"],
        modes: ORCHESTRATED,
        needs_redis: false,
    },
    SeedVar {
        var: "JWT_SIGNING_KEY",
        key: &["auth", "local", "sign_key"],
        modes: ORCHESTRATED,
        needs_redis: false,
    },
    SeedVar {
        var: "REDIS_HOST",
        key: &["auth", "token_storage", "redis", "host"],
        modes: ORCHESTRATED,
        needs_redis: true,
    },
    SeedVar {
        var: "REDIS_PORT",
        key: &["auth", "token_storage", "redis", "port"],
        modes: ORCHESTRATED,
        needs_redis: true,
    },
    SeedVar {
        var: "REDIS_PASSWORD",
        key: &["auth", "token_storage", "redis", "password"],
        modes: ORCHESTRATED,
        needs_redis: true,
    },
    SeedVar {
        var: "IDP_PROVIDER_URL",
        key: &["auth", "provider"],
        modes: &["transparent", "remote"],
        needs_redis: false,
    },
    SeedVar {
        var: "IDP_CLIENT_ID",
        key: &["auth", "client_id"],
        modes: &["remote"],
        needs_redis: false,
    },
    SeedVar {
        var: "IDP_CLIENT_SECRET",
        key: &["auth", "client_secret"],
        modes: &["remote"],
        needs_redis: false,
    },
    SeedVar {
        var: "IDP_EXPECTED_AUDIENCE",
        key: &["auth", "expected_audience"],
        modes: &["transparent"],
        needs_redis: false,
    },
];

/// The names of every seed variable, for documentation and `config print`.
pub fn seed_var_names() -> impl Iterator<Item = &'static str> {
    SEED_VARS.iter().map(|s| s.var)
}

/// The server-level mode and storage as the lower layers set them.
struct Lower {
    mode: Option<String>,
    split_by_app: bool,
    /// `Some("redis")` etc.; `legacy` when written as `{ type, config }`.
    storage: Option<String>,
    legacy_storage: bool,
}

fn read_lower(figment: &Figment) -> Lower {
    let text = |path: &str| {
        figment
            .find_value(path)
            .ok()
            .and_then(|v| v.into_string())
            .map(|s| s.trim().to_ascii_lowercase())
    };
    let mut mode = text("auth.mode");
    if mode.as_deref() == Some("orchestrated") {
        mode = text("auth.type");
    }
    let split_by_app = figment
        .find_value("split_by_app")
        .ok()
        .is_some_and(|v| v.to_bool_lossy() == Some(true) || v.as_str() == Some("true"));
    let (storage, legacy_storage) = match figment.find_value("auth.token_storage") {
        Ok(Value::String(_, s)) => (Some(s.trim().to_ascii_lowercase()), false),
        Ok(Value::Dict(_, dict)) => {
            if let Some(kind) = dict.get("type").and_then(Value::as_str) {
                (
                    Some(kind.trim().to_ascii_lowercase()),
                    dict.contains_key("config"),
                )
            } else if dict.contains_key("redis") {
                (Some("redis".to_owned()), false)
            } else {
                (dict.keys().next().cloned(), false)
            }
        }
        _ => (None, false),
    };
    Lower {
        mode: mode.or_else(|| figment.contains("auth").then(|| "public".to_owned())),
        split_by_app,
        storage,
        legacy_storage,
    }
}

/// Builds the seed-variable layer on top of `lower`, and the notes about variables that are set
/// but do not apply.
pub(crate) fn seed_env_layer(lower_layers: &Figment, env: &Environment) -> (Layer, Vec<String>) {
    let lower = read_lower(lower_layers);
    let mut data = Dict::new();
    let mut notes = Vec::new();
    let mut names: Vec<(Vec<String>, &'static str)> = Vec::new();
    for seed in SEED_VARS {
        let Some(value) = env.get(seed.var) else {
            continue;
        };
        let mode = lower.mode.as_deref().unwrap_or("public");
        let reason = if lower.split_by_app {
            Some("split_by_app is on; each app configures its own auth".to_owned())
        } else if !seed.modes.contains(&mode) {
            Some(format!(
                "the auth mode is {mode}; it applies to {} mode",
                seed.modes.join(" and ")
            ))
        } else if seed.needs_redis && lower.storage.as_deref() != Some("redis") {
            Some(format!(
                "token storage is {}, not redis",
                lower.storage.as_deref().unwrap_or("memory")
            ))
        } else {
            None
        };
        if let Some(reason) = reason {
            notes.push(format!("{} is set but not used: {reason}", seed.var));
            continue;
        }
        let mut key: Vec<String> = seed.key.iter().map(|k| (*k).to_owned()).collect();
        if seed.needs_redis && lower.legacy_storage {
            key[2] = "config".to_owned();
        }
        insert_path(&mut data, &key, Value::from(value));
        names.push((key, seed.var));
    }
    let layer = Layer {
        metadata: Metadata::named(SEED_ENV_LAYER).interpolater(
            move |_: &Profile, keys: &[&str]| {
                names
                    .iter()
                    .find(|(key, _)| key.iter().map(String::as_str).eq(keys.iter().copied()))
                    .map_or_else(|| keys.join("."), |(_, var)| (*var).to_owned())
            },
        ),
        data,
    };
    (layer, notes)
}
