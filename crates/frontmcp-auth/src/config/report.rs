//! Configuration errors: every violation with where its value came from.

use std::fmt;

use frontmcp_auth_config::{KeyPath, ServerConfig, Violation};

use super::source::Source;

/// One violation and the origin of the value it is about.
#[derive(Debug, Clone)]
pub struct Problem {
    /// What is wrong.
    pub violation: Violation,
    /// Where the offending value was set (`None` when the key is missing everywhere).
    pub source: Option<Source>,
    /// The key the mistake depends on and where that was set (the `mode`, say).
    pub related: Option<(KeyPath, Source)>,
}

/// The configuration was refused; every reason is listed.
#[derive(Debug, Clone)]
pub struct ConfigError {
    server: String,
    problems: Vec<Problem>,
    decoded: Option<Box<ServerConfig>>,
}

impl ConfigError {
    pub(crate) fn new(server: String, problems: Vec<Problem>) -> Self {
        Self {
            server,
            problems,
            decoded: None,
        }
    }

    pub(crate) fn with_decoded(mut self, config: ServerConfig) -> Self {
        self.decoded = Some(Box::new(config));
        self
    }

    /// The configuration as decoded despite the problems (defaults where a value was wrong),
    /// for reports such as the production checklist.
    pub fn decoded(&self) -> Option<&ServerConfig> {
        self.decoded.as_deref()
    }

    /// Every problem found.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.problems.len();
        let plural = if count == 1 { "problem" } else { "problems" };
        write!(
            f,
            "the configuration of `{}` has {count} {plural}:",
            self.server
        )?;
        for (i, problem) in self.problems.iter().enumerate() {
            let v = &problem.violation;
            write!(f, "\n  {}. `{}`: {} [{}]", i + 1, v.path, v.message, v.rule)?;
            match &problem.source {
                Some(source) => write!(f, "\n     set in: {source}")?,
                None if v.rule.is_about_absence() => {
                    write!(f, "\n     missing: not set in any layer")?
                }
                None => write!(f, "\n     set in: (unknown)")?,
            }
            if let Some((path, source)) = &problem.related {
                write!(f, "\n     because of: `{path}` from {source}")?;
            }
            if let Some(help) = &v.help {
                write!(f, "\n     help: {help}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}
