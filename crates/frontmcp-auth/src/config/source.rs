//! Where a configuration value came from.

use std::fmt;
use std::path::PathBuf;

/// The origin of one configuration value, as shown in error messages and `config print`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The `#[frontmcp(...)]` attribute (or the builder's base layer) of the named server.
    Attribute {
        /// The annotated struct's name.
        server: String,
    },
    /// A configuration file.
    File {
        /// The file's path.
        path: PathBuf,
    },
    /// An environment variable.
    Env {
        /// The variable's name.
        var: String,
    },
    /// Not set anywhere: the default.
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Attribute { server } => write!(f, "#[frontmcp] on `{server}`"),
            Source::File { path } => write!(f, "file {}", path.display()),
            Source::Env { var } => write!(f, "env {var}"),
            Source::Default => f.write_str("default"),
        }
    }
}

/// A snapshot of environment variables. Loading reads this, never the process environment
/// directly, so tests can give each case its own environment.
///
/// Its `Debug` prints variable names only: values may be secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Environment(std::collections::BTreeMap<String, String>);

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Environment {
    /// The current process environment (variables that are not valid Unicode are skipped).
    pub fn from_process() -> Self {
        Self(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        )
    }

    /// An environment holding exactly these variables.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// Sets `name` to `value`.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.insert(name.into(), value.into());
    }

    /// Every variable whose name starts with `prefix`, in name order.
    pub fn with_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_names_never_values() {
        let env = Environment::from_pairs([("JWT_SECRET", "do-not-print-me")]);
        let debug = format!("{env:?}");
        assert!(debug.contains("JWT_SECRET"), "{debug}");
        assert!(!debug.contains("do-not-print-me"), "{debug}");
    }
}
