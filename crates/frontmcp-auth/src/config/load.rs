//! Loading the layered configuration: attribute < file < `FRONTMCP_*` env < seed variables,
//! then the rulebook.

use std::path::PathBuf;

use figment::value::Value;
use figment::{Figment, Profile};
use frontmcp_auth_config::{KeyIndex, KeyPath, Loc, Node, NodeKind, Rule, ServerConfig, Violation};

use super::layers::{
    ATTRIBUTE_LAYER, ENV_LAYER, ENV_VALUE_MARKER, ENV_VAR_MARKER, FILE_LAYER, Layer,
    SEED_ENV_LAYER, attribute_layer, default_config_file, env_layer, file_layer,
};
use super::report::{ConfigError, Problem};
use super::seed_env::seed_env_layer;
use super::source::{Environment, Source};
use crate::definition::ServerDefinition;

/// Which configuration file to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileChoice {
    /// `FRONTMCP_CONFIG`, else `./frontmcp.toml` when it exists.
    Default,
    /// This file (TOML, or JSON by extension); it must exist.
    Path(PathBuf),
    /// No file.
    None,
}

/// Loads and checks the configuration of one server.
#[derive(Debug, Clone)]
pub struct ConfigLoader {
    definition: ServerDefinition,
    file: FileChoice,
    env: Environment,
}

/// Where every value of a loaded configuration came from.
#[derive(Debug, Clone)]
pub struct SourceMap {
    index: KeyIndex,
    sources: Vec<Source>,
}

impl SourceMap {
    /// The source of the value at `path`: where its key was written, or [`Source::Default`].
    pub fn source_of(&self, path: &KeyPath) -> Source {
        self.index
            .loc(path)
            .map_or(Source::Default, |loc| self.source_at(loc))
    }

    fn source_at(&self, loc: Loc) -> Source {
        self.sources
            .get(loc.0 as usize)
            .cloned()
            .unwrap_or(Source::Default)
    }
}

/// A configuration that passed every rule.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    /// The configuration.
    pub config: ServerConfig,
    /// Where each value came from.
    pub sources: SourceMap,
    /// Things worth knowing that are not errors (seed variables set but not used by this mode).
    pub notes: Vec<String>,
    /// The configuration file that was read, if any.
    pub file: Option<PathBuf>,
}

impl ConfigLoader {
    /// A loader for `definition`, reading the process environment and the default file.
    pub fn new(definition: ServerDefinition) -> Self {
        Self {
            definition,
            file: FileChoice::Default,
            env: Environment::from_process(),
        }
    }

    /// Reads `env` instead of the process environment.
    pub fn env(mut self, env: Environment) -> Self {
        self.env = env;
        self
    }

    /// Chooses the configuration file.
    pub fn file(mut self, file: FileChoice) -> Self {
        self.file = file;
        self
    }

    /// Merges the layers and runs the rulebook.
    ///
    /// # Errors
    ///
    /// Returns every violation found, each with where its value came from.
    pub fn load(&self) -> Result<LoadedConfig, ConfigError> {
        let mut problems: Vec<Violation> = Vec::new();
        let mut layer_sources: Vec<Source> = Vec::new();
        let server = self.definition.name().to_owned();

        let attribute = attribute_layer(&server, self.definition.base(), &self.env, &mut problems);
        layer_sources.extend(std::iter::repeat_n(
            Source::Attribute {
                server: server.clone(),
            },
            problems.len(),
        ));
        let mut layers = vec![attribute];

        let file = match &self.file {
            FileChoice::Default => default_config_file(&self.env),
            FileChoice::Path(path) => Some(path.clone()),
            FileChoice::None => None,
        };
        if let Some(path) = &file {
            let before = problems.len();
            if let Some(layer) = file_layer(path, &mut problems) {
                layers.push(layer);
            }
            let file_source = Source::File { path: path.clone() };
            layer_sources.extend(std::iter::repeat_n(file_source, problems.len() - before));
        }
        layers.push(env_layer(&self.env));
        switch_storage_backends(&mut layers);
        let mut figment = Figment::new();
        for layer in layers {
            figment = figment.merge(layer);
        }
        let (seed, notes) = seed_env_layer(&figment, &self.env);
        figment = figment.merge(seed);

        let root = figment
            .find_value("")
            .unwrap_or_else(|_| Value::from(figment::value::Dict::new()));
        let mut sources = Vec::new();
        let node = to_node(&root, &mut Vec::new(), &figment, &mut sources);
        let code = frontmcp_auth_config::CodeFacts {
            authenticator_in_code: self.definition.authenticator_in_code().is_some(),
        };
        let checked = frontmcp_auth_config::check_with(&node, code);

        let mut violations: Vec<(Violation, Option<Source>)> = problems
            .into_iter()
            .zip(layer_sources)
            .map(|(v, s)| (v, Some(s)))
            .collect();
        let map = SourceMap {
            index: checked.index,
            sources,
        };
        let mut found = checked.violations;
        found.extend(self.undeclared_apps(&checked.config));
        found.extend(super::features::compiled_out(&checked.config, &map.index));
        for violation in found {
            let source = if violation.rule.is_about_absence() && !map.index.is_set(&violation.path)
            {
                None
            } else {
                violation.loc.map(|loc| map.source_at(loc))
            };
            violations.push((violation, source));
        }
        if !violations.is_empty() {
            let problems = violations
                .into_iter()
                .map(|(violation, source)| {
                    let related = violation
                        .related
                        .as_ref()
                        .map(|path| (path.clone(), map.source_of(path)));
                    Problem {
                        violation,
                        source,
                        related,
                    }
                })
                .collect();
            return Err(ConfigError::new(server, problems).with_decoded(checked.config));
        }
        Ok(LoadedConfig {
            config: checked.config,
            sources: map,
            notes,
            file,
        })
    }

    /// Apps configured (in a file or the environment) that the server does not declare.
    fn undeclared_apps(&self, config: &ServerConfig) -> Vec<Violation> {
        let Some(declared) = self.definition.declared_apps() else {
            return Vec::new();
        };
        config
            .apps
            .iter()
            .filter(|app| !declared.iter().any(|d| d == &app.id))
            .map(|app| {
                let path = KeyPath::root().key("apps").key(&app.id);
                let known: Vec<&str> = declared.iter().map(String::as_str).collect();
                let mut violation = Violation::new(
                    Rule::UnknownKey,
                    path,
                    None,
                    format!("`{}` is not an app of this server", app.id),
                );
                violation = match frontmcp_auth_config::nearest(&app.id, known.iter().copied()) {
                    Some(close) => violation.help(format!("did you mean `{close}`?")),
                    None => violation.help(format!("declared apps: {}", known.join(", "))),
                };
                violation
            })
            .collect()
    }
}

/// Converts the merged figment value to a [`Node`] tree, giving every node a location that
/// indexes `sources`.
fn to_node(
    value: &Value,
    keys: &mut Vec<String>,
    figment: &Figment,
    sources: &mut Vec<Source>,
) -> Node {
    let (source, from_text) = source_of(value, keys, figment);
    if let Value::Dict(_, dict) = value
        && let (Some(Value::String(_, text)), Some(var)) = (
            dict.get(ENV_VALUE_MARKER),
            dict.get(ENV_VAR_MARKER).and_then(Value::as_str),
        )
    {
        let loc = push(
            sources,
            Source::Env {
                var: var.to_owned(),
            },
        );
        return Node {
            kind: NodeKind::Str(text.clone()),
            loc,
            from_text: true,
        };
    }
    let loc = push(sources, source);
    let kind = match value {
        Value::String(_, s) => NodeKind::Str(s.clone()),
        Value::Char(_, c) => NodeKind::Str(c.to_string()),
        Value::Bool(_, b) => NodeKind::Bool(*b),
        Value::Num(_, n) => match n.to_i128().and_then(|i| i64::try_from(i).ok()) {
            Some(i) => NodeKind::Int(i),
            None => NodeKind::Float(n.to_f64().unwrap_or(f64::NAN)),
        },
        Value::Empty(..) => NodeKind::Table(Vec::new()),
        Value::Dict(_, dict) => NodeKind::Table(
            dict.iter()
                .map(|(key, child)| {
                    keys.push(key.clone());
                    let node = to_node(child, keys, figment, sources);
                    keys.pop();
                    (
                        frontmcp_auth_config::Key {
                            name: key.clone(),
                            loc: node.loc,
                        },
                        node,
                    )
                })
                .collect(),
        ),
        Value::Array(_, items) => NodeKind::List(
            items
                .iter()
                .enumerate()
                .map(|(i, child)| {
                    keys.push(i.to_string());
                    let node = to_node(child, keys, figment, sources);
                    keys.pop();
                    node
                })
                .collect(),
        ),
    };
    Node {
        kind,
        loc,
        from_text,
    }
}

fn push(sources: &mut Vec<Source>, source: Source) -> Loc {
    sources.push(source);
    Loc(u32::try_from(sources.len() - 1).unwrap_or(u32::MAX))
}

fn source_of(value: &Value, keys: &[String], figment: &Figment) -> (Source, bool) {
    let Some(metadata) = figment.get_metadata(value.tag()) else {
        return (Source::Default, false);
    };
    match metadata.name.as_ref() {
        ATTRIBUTE_LAYER => {
            let server = match &metadata.source {
                Some(figment::Source::Custom(name)) => name.clone(),
                _ => String::from("server"),
            };
            (Source::Attribute { server }, false)
        }
        FILE_LAYER => match &metadata.source {
            Some(figment::Source::File(path)) => (Source::File { path: path.clone() }, false),
            _ => (Source::Default, false),
        },
        ENV_LAYER | SEED_ENV_LAYER => (
            Source::Env {
                var: metadata.interpolate(&Profile::Default, keys),
            },
            true,
        ),
        _ => (Source::Default, false),
    }
}

/// The token-storage backend a layer names, if any: `"sqlite"`, `{ type = "redis" }` or
/// `{ redis = {...} }`.
fn storage_backend(layer: &Layer) -> Option<String> {
    let auth = layer.data.get("auth")?.as_dict()?;
    match auth.get("token_storage")? {
        Value::String(_, name) => Some(name.trim().to_ascii_lowercase()),
        Value::Dict(_, dict) => dict
            .get("type")
            .and_then(Value::as_str)
            .map(|t| t.trim().to_ascii_lowercase())
            .or_else(|| {
                ["memory", "sqlite", "redis"]
                    .into_iter()
                    .find(|name| dict.contains_key(*name))
                    .map(str::to_owned)
            }),
        _ => None,
    }
}

/// A layer that names another storage backend than the layers below replaces their
/// `token_storage` instead of merging into it: the attribute's `sqlite(...)` plus
/// `FRONTMCP_AUTH__TOKEN_STORAGE__REDIS__HOST` is Redis, not a conflict between two backends.
fn switch_storage_backends(layers: &mut [Layer]) {
    for upper in (1..layers.len()).rev() {
        let Some(backend) = storage_backend(&layers[upper]) else {
            continue;
        };
        for lower in &mut layers[..upper] {
            if storage_backend(lower).is_some_and(|named| named != backend)
                && let Some(Value::Dict(_, auth)) = lower.data.get_mut("auth")
            {
                auth.remove("token_storage");
            }
        }
    }
}
