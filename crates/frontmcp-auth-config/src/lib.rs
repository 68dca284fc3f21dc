//! The frontmcp-auth configuration model and its rulebook.
//!
//! Pure data: no I/O and no async. Two front ends feed it: the `#[frontmcp(...)]` attribute at
//! compile time and the layered runtime loader (attribute < `frontmcp.toml` < `FRONTMCP_*`
//! environment < the seeds' variables) at start-up. Both build a [`Node`] tree, and [`check`]
//! turns it into a [`ServerConfig`] plus every [`Violation`] found, so a mistake is reported the
//! same way in both places.
//!
//! ```
//! use frontmcp_auth_config::{check, Node, Loc, Rule};
//!
//! let json = serde_json::json!({
//!     "auth": { "mode": "public", "consent": { "enabled": true } }
//! });
//! let checked = check(&Node::from_json(&json, Loc(0)));
//! assert_eq!(checked.violations[0].rule, Rule::OptionOutsideMode);
//! assert_eq!(checked.violations[0].path.to_string(), "auth.consent");
//! ```

pub mod decode;
pub mod model;
mod names;
mod node;
mod path;
pub mod rules;
mod secret;
mod violation;

pub use decode::KeyIndex;
pub use model::*;
pub use names::{canonical_key, nearest};
pub use node::{ENV_DEFAULT_MARKER, ENV_MARKER, Key, Loc, Node, NodeKind};
pub use path::{KeyPath, Segment};
pub use secret::{REDACTED, Secret};
pub use violation::{Rule, Violation};

/// The outcome of checking a configuration tree.
#[derive(Debug)]
pub struct Checked {
    /// The decoded configuration; defaults stand in where a value was wrong.
    pub config: ServerConfig,
    /// Where each key was written; which values are read from the environment at start-up.
    pub index: KeyIndex,
    /// Every mistake, decoding errors first, then rulebook violations.
    pub violations: Vec<Violation>,
}

impl Checked {
    /// Whether the configuration is free of mistakes.
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty()
    }

    /// The configuration, or every mistake.
    ///
    /// # Errors
    ///
    /// Returns all violations when there is at least one.
    pub fn into_result(self) -> Result<ServerConfig, Vec<Violation>> {
        if self.violations.is_empty() {
            Ok(self.config)
        } else {
            Err(self.violations)
        }
    }
}

/// What the server's code says beside its configuration, which some rules need to know.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CodeFacts {
    /// An authenticator is set in code (`ServerDefinition::authenticator`), so local mode's
    /// login is not the demo login even where no layer names `login.authenticator`.
    pub authenticator_in_code: bool,
}

/// Decodes `root` and runs the whole rulebook on it.
pub fn check(root: &Node) -> Checked {
    check_with(root, CodeFacts::default())
}

/// [`check`], knowing what the server's code declares.
pub fn check_with(root: &Node, code: CodeFacts) -> Checked {
    let mut decoder = decode::Decoder::default();
    let config = decode::decode_server(&mut decoder, root);
    let broken: Vec<KeyPath> = decoder.violations.iter().map(|v| v.path.clone()).collect();
    let input = rules::RuleInput {
        config: &config,
        index: &decoder.index,
        broken: &broken,
        code,
    };
    let found = rules::run_rules(&input);
    let mut violations = decoder.violations;
    violations.extend(found);
    Checked {
        config,
        index: decoder.index,
        violations,
    }
}
