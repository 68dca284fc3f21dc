//! Key paths such as `auth.token_storage.redis.host` or `auth.providers[1].id`.

use std::fmt;

/// One step of a [`KeyPath`]: a table key or a list index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    /// A key inside a table, always in its canonical snake_case spelling.
    Key(String),
    /// A position inside a list.
    Index(usize),
}

/// The location of a value inside the configuration, independent of where it was written.
///
/// Displayed with dots between keys and brackets around indices: `auth.providers[0].id`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyPath(Vec<Segment>);

impl KeyPath {
    /// The empty path: the configuration root.
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// Parses a dotted path such as `auth.refresh.access_token_ttl` (indices are not parsed).
    pub fn parse(dotted: &str) -> Self {
        Self(
            dotted
                .split('.')
                .filter(|part| !part.is_empty())
                .map(|part| Segment::Key(part.to_owned()))
                .collect(),
        )
    }

    /// This path with one more key.
    pub fn key(&self, key: &str) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(key.to_owned()));
        Self(segments)
    }

    /// This path with one more list index.
    pub fn index(&self, index: usize) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(index));
        Self(segments)
    }

    /// The segments of this path, outermost first.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// The last key of the path, if it ends in a key.
    pub fn last_key(&self) -> Option<&str> {
        match self.0.last() {
            Some(Segment::Key(key)) => Some(key),
            _ => None,
        }
    }

    /// Whether `self` equals `other` or lies inside it.
    pub fn starts_with(&self, other: &KeyPath) -> bool {
        self.0.starts_with(&other.0)
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(root)");
        }
        for (position, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if position == 0 => f.write_str(key)?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_keys_and_indices() {
        let path = KeyPath::root()
            .key("auth")
            .key("providers")
            .index(2)
            .key("id");
        assert_eq!(path.to_string(), "auth.providers[2].id");
        assert_eq!(KeyPath::root().to_string(), "(root)");
    }

    #[test]
    fn parses_dotted_paths_and_compares_prefixes() {
        let path = KeyPath::parse("auth.refresh.access_token_ttl");
        assert_eq!(path.last_key(), Some("access_token_ttl"));
        assert!(path.starts_with(&KeyPath::parse("auth.refresh")));
        assert!(!path.starts_with(&KeyPath::parse("auth.consent")));
    }
}
