//! The untyped configuration tree every front end produces before decoding.
//!
//! The attribute parser, the TOML/JSON file loader and the environment loader all build a
//! [`Node`] tree; one decoder turns it into the typed model. Each node carries a [`Loc`], an
//! index the front end maps back to what it knows: a span in the attribute, a file and key, an
//! environment variable.

/// An opaque location handle, meaningful to the front end that built the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Loc(pub u32);

/// A table key as written, with its location.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The key exactly as the user wrote it (`tokenStorage` or `token_storage`).
    pub name: String,
    /// Where the key was written.
    pub loc: Loc,
}

/// One value of the configuration tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value itself.
    pub kind: NodeKind,
    /// Where the value was written.
    pub loc: Loc,
    /// Whether the value came from an untyped text source (an environment variable), so that
    /// `"3600"` may decode as a number and `"true"` as a boolean.
    pub from_text: bool,
}

/// The shape of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// `true` / `false`. A bare key in the attribute (`token_storage(memory)`) is `true`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string.
    Str(String),
    /// A list of values.
    List(Vec<Node>),
    /// A table. Entries keep their order and duplicates, so the decoder can report them.
    Table(Vec<(Key, Node)>),
    /// `env("NAME")` in the attribute: a value read from the environment at start-up.
    /// Only the compile-time check sees this; the runtime resolves it before decoding.
    Env {
        /// The environment variable to read.
        var: String,
        /// The value to use when the variable is not set.
        default: Option<Box<Node>>,
    },
}

impl Node {
    /// A node at `loc` that did not come from a text source.
    pub fn new(kind: NodeKind, loc: Loc) -> Self {
        Self {
            kind,
            loc,
            from_text: false,
        }
    }

    /// A short name of the node's type for error messages: "a string", "a table", ...
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Int(_) => "an integer",
            NodeKind::Float(_) => "a number",
            NodeKind::Str(_) => "a string",
            NodeKind::List(_) => "a list",
            NodeKind::Table(_) => "a table",
            NodeKind::Env { .. } => "an env(...) value",
        }
    }

    /// The entry for `key` (compared in canonical spelling) when this node is a table.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Table(entries) => entries
                .iter()
                .find(|(k, _)| crate::names::canonical_key(&k.name) == key)
                .map(|(_, node)| node),
            _ => None,
        }
    }

    /// The string value, when this node is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Str(text) => Some(text),
            _ => None,
        }
    }

    /// Converts a JSON value into a tree whose every node sits at `loc`.
    pub fn from_json(value: &serde_json::Value, loc: Loc) -> Self {
        use serde_json::Value;
        let kind = match value {
            Value::Null => NodeKind::Table(Vec::new()),
            Value::Bool(b) => NodeKind::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => NodeKind::Int(i),
                None => NodeKind::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => NodeKind::Str(s.clone()),
            Value::Array(items) => {
                NodeKind::List(items.iter().map(|v| Self::from_json(v, loc)).collect())
            }
            Value::Object(map) => NodeKind::Table(
                map.iter()
                    .map(|(k, v)| {
                        (
                            Key {
                                name: k.clone(),
                                loc,
                            },
                            Self::from_json(v, loc),
                        )
                    })
                    .collect(),
            ),
        };
        Self::new(kind, loc)
    }

    /// Converts the tree back to JSON (locations are dropped; `env(...)` becomes a marker object).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Int(i) => Value::from(*i),
            NodeKind::Float(x) => Value::from(*x),
            NodeKind::Str(s) => Value::String(s.clone()),
            NodeKind::List(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeKind::Table(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
            NodeKind::Env { var, default } => {
                let mut marker = serde_json::Map::new();
                marker.insert(ENV_MARKER.to_owned(), Value::String(var.clone()));
                if let Some(default) = default {
                    marker.insert(ENV_DEFAULT_MARKER.to_owned(), default.to_json());
                }
                Value::Object(marker)
            }
        }
    }
}

/// The key of the JSON object that stands for `env("NAME")` in a serialized attribute layer.
pub const ENV_MARKER: &str = "$env";
/// The key holding the default of an `env("NAME", default = ...)` marker.
pub const ENV_DEFAULT_MARKER: &str = "$default";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_keeps_env_markers() {
        let node = Node::new(
            NodeKind::Table(vec![(
                Key {
                    name: "host".into(),
                    loc: Loc(1),
                },
                Node::new(
                    NodeKind::Env {
                        var: "REDIS_HOST".into(),
                        default: Some(Box::new(Node::new(
                            NodeKind::Str("localhost".into()),
                            Loc(3),
                        ))),
                    },
                    Loc(2),
                ),
            )]),
            Loc(0),
        );
        let json = node.to_json();
        assert_eq!(
            json,
            serde_json::json!({"host": {"$env": "REDIS_HOST", "$default": "localhost"}})
        );
        let back = Node::from_json(&json, Loc(9));
        assert_eq!(
            back.get("host")
                .and_then(|h| h.get("$env"))
                .and_then(Node::as_str),
            Some("REDIS_HOST")
        );
    }
}
