//! Reading a [`Node`] tree field by field while collecting every mistake.

use std::collections::{BTreeMap, BTreeSet};

use crate::Secret;
use crate::names::{canonical_key, nearest};
use crate::node::{Loc, Node, NodeKind};
use crate::path::KeyPath;
use crate::violation::{Rule, Violation};

/// Where each key was written and which values are only known at start-up.
#[derive(Debug, Clone, Default)]
pub struct KeyIndex {
    locs: BTreeMap<KeyPath, Loc>,
    deferred: BTreeSet<KeyPath>,
}

impl KeyIndex {
    /// Whether the key at `path` was written in the configuration.
    pub fn is_set(&self, path: &KeyPath) -> bool {
        self.locs.contains_key(path)
    }

    /// Where the key at `path` was written.
    pub fn loc(&self, path: &KeyPath) -> Option<Loc> {
        self.locs.get(path).copied()
    }

    /// Whether the value at `path` is an `env(...)` read at start-up (unknown at compile time).
    pub fn is_deferred(&self, path: &KeyPath) -> bool {
        self.deferred.contains(path)
    }

    /// Every key written under `prefix`, with its location.
    pub fn keys_under<'a>(
        &'a self,
        prefix: &'a KeyPath,
    ) -> impl Iterator<Item = (&'a KeyPath, Loc)> + 'a {
        self.locs
            .range(prefix.clone()..)
            .take_while(move |(path, _)| path.starts_with(prefix))
            .map(|(path, loc)| (path, *loc))
    }
}

/// Collects violations and the key index while a tree is decoded.
#[derive(Debug, Default)]
pub struct Decoder {
    /// Everything wrong so far.
    pub violations: Vec<Violation>,
    /// Where keys were written.
    pub index: KeyIndex,
}

/// One field taken from a table: its path, where its key was written, and its value.
#[derive(Debug, Clone, Copy)]
pub struct Field<'n> {
    /// The canonical name of the key.
    pub name: &'n str,
    /// Where the key was written.
    pub key_loc: Loc,
    /// The value.
    pub node: &'n Node,
}

struct Entry<'n> {
    canonical: String,
    written: &'n str,
    key_loc: Loc,
    node: &'n Node,
    used: bool,
}

/// A table being read. Call [`TableReader::finish`] to report the keys nobody asked for.
pub struct TableReader<'n> {
    path: KeyPath,
    loc: Loc,
    entries: Vec<Entry<'n>>,
    asked: Vec<&'static str>,
}

impl Decoder {
    /// Records a violation.
    pub fn report(&mut self, violation: Violation) {
        self.violations.push(violation);
    }

    /// Opens `node` as a table at `path`; reports a type error and returns `None` otherwise.
    pub fn table<'n>(&mut self, node: &'n Node, path: &KeyPath) -> Option<TableReader<'n>> {
        let NodeKind::Table(raw) = &node.kind else {
            self.wrong_type(node, path, "a table");
            return None;
        };
        let mut entries: Vec<Entry<'n>> = Vec::with_capacity(raw.len());
        for (key, value) in raw {
            let canonical = canonical_key(&key.name);
            if let Some(first) = entries.iter().find(|e| e.canonical == canonical) {
                let same = if first.written == key.name {
                    format!("`{}` is set twice", key.name)
                } else {
                    format!(
                        "`{}` and `{}` name the same option",
                        first.written, key.name
                    )
                };
                self.report(
                    Violation::new(
                        Rule::DuplicateKey,
                        path.key(&canonical),
                        Some(key.loc),
                        same,
                    )
                    .help("keep one of them"),
                );
                continue;
            }
            entries.push(Entry {
                canonical,
                written: &key.name,
                key_loc: key.loc,
                node: value,
                used: false,
            });
        }
        Some(TableReader {
            path: path.clone(),
            loc: node.loc,
            entries,
            asked: Vec::new(),
        })
    }

    /// Reports that `node` at `path` is not of the `expected` type.
    pub fn wrong_type(&mut self, node: &Node, path: &KeyPath, expected: &str) {
        let mut violation = Violation::new(
            Rule::WrongType,
            path.clone(),
            Some(node.loc),
            format!("expected {expected}, found {}", node.type_name()),
        );
        if matches!(node.kind, NodeKind::Int(_) | NodeKind::Float(_)) && expected == "a string" {
            violation = violation.help("quote the value");
        }
        if matches!(node.kind, NodeKind::Str(_))
            && (expected.contains("number") || expected == "a boolean")
        {
            violation = violation.help("remove the quotes");
        }
        self.report(violation);
    }

    /// Reports a value outside the allowed ones.
    pub fn invalid(
        &mut self,
        node: &Node,
        path: &KeyPath,
        message: impl Into<String>,
    ) -> Violation {
        Violation::new(Rule::InvalidValue, path.clone(), Some(node.loc), message)
    }

    /// Marks `path` as an `env(...)` value and returns its default, if it has one.
    fn defer<'n>(&mut self, node: &'n Node, path: &KeyPath) -> Option<&'n Node> {
        match &node.kind {
            NodeKind::Env { default, .. } => {
                // With a default, the default is checked like a literal: it is what runs when
                // the variable is unset. Without one, nothing is known until start-up.
                if default.is_none() {
                    self.index.deferred.insert(path.clone());
                }
                default.as_deref()
            }
            _ => None,
        }
    }

    /// A string value. From a text source, numbers and booleans arrive as text already.
    pub fn string(&mut self, node: &Node, path: &KeyPath) -> Option<String> {
        match &node.kind {
            NodeKind::Str(text) => Some(text.clone()),
            NodeKind::Env { var, .. } => match self.defer(node, path) {
                Some(default) => self.string(default, path),
                None => Some(format!("${{{var}}}")),
            },
            _ => {
                self.wrong_type(node, path, "a string");
                None
            }
        }
    }

    /// A non-empty string value.
    pub fn name(&mut self, node: &Node, path: &KeyPath) -> Option<String> {
        let value = self.string(node, path)?;
        if value.trim().is_empty() {
            self.report(
                Violation::new(
                    Rule::EmptyValue,
                    path.clone(),
                    Some(node.loc),
                    "must not be empty",
                )
                .help("give a value or remove the key"),
            );
            return None;
        }
        Some(value)
    }

    /// A secret string value.
    pub fn secret(&mut self, node: &Node, path: &KeyPath) -> Option<Secret> {
        self.string(node, path).map(Secret::new)
    }

    /// A boolean. From a text source `true`/`false`/`1`/`0`/`yes`/`no` are accepted.
    pub fn bool(&mut self, node: &Node, path: &KeyPath) -> Option<bool> {
        match &node.kind {
            NodeKind::Bool(value) => Some(*value),
            NodeKind::Str(text) if node.from_text => {
                match text.trim().to_ascii_lowercase().as_str() {
                    "true" | "1" | "yes" | "on" => Some(true),
                    "false" | "0" | "no" | "off" => Some(false),
                    _ => {
                        let violation = self
                            .invalid(node, path, format!("`{text}` is not a boolean"))
                            .help("use true or false");
                        self.report(violation);
                        None
                    }
                }
            }
            NodeKind::Env { .. } => {
                let default = self.defer(node, path)?;
                self.bool(default, path)
            }
            _ => {
                self.wrong_type(node, path, "a boolean");
                None
            }
        }
    }

    /// A non-negative integer. From a text source, digits are accepted.
    pub fn u64(&mut self, node: &Node, path: &KeyPath) -> Option<u64> {
        match &node.kind {
            NodeKind::Int(value) if *value >= 0 => Some(value.unsigned_abs()),
            NodeKind::Int(value) => {
                let violation = self
                    .invalid(node, path, format!("{value} is negative"))
                    .help("use a whole number of zero or more");
                self.report(violation);
                None
            }
            NodeKind::Str(text) if node.from_text => match text.trim().parse::<u64>() {
                Ok(value) => Some(value),
                Err(_) => {
                    let violation = self
                        .invalid(node, path, format!("`{text}` is not a whole number"))
                        .help("use digits only, such as 3600");
                    self.report(violation);
                    None
                }
            },
            NodeKind::Env { .. } => {
                let default = self.defer(node, path)?;
                self.u64(default, path)
            }
            _ => {
                self.wrong_type(node, path, "a whole number");
                None
            }
        }
    }

    /// A whole number no larger than `max`.
    pub fn bounded(&mut self, node: &Node, path: &KeyPath, max: u64) -> Option<u64> {
        let value = self.u64(node, path)?;
        if value > max {
            let violation = self
                .invalid(node, path, format!("{value} is larger than {max}"))
                .help(format!("use a number from 0 to {max}"));
            self.report(violation);
            return None;
        }
        Some(value)
    }

    /// A TCP port (0-65535).
    pub fn port(&mut self, node: &Node, path: &KeyPath) -> Option<u16> {
        self.bounded(node, path, u64::from(u16::MAX))
            .and_then(|port| u16::try_from(port).ok())
    }

    /// A list of strings. A text source may give a JSON array or comma-separated values.
    pub fn strings(&mut self, node: &Node, path: &KeyPath) -> Option<Vec<String>> {
        match &node.kind {
            NodeKind::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    out.extend(self.name(item, &path.index(i)));
                }
                (out.len() == items.len()).then_some(out)
            }
            NodeKind::Str(text) if node.from_text => {
                let trimmed = text.trim();
                if trimmed.starts_with('[') {
                    match serde_json::from_str::<Vec<String>>(trimmed) {
                        Ok(list) => Some(list),
                        Err(err) => {
                            let violation = self
                                .invalid(node, path, format!("not a JSON list of strings: {err}"))
                                .help(r#"write ["a","b"] or a,b"#);
                            self.report(violation);
                            None
                        }
                    }
                } else {
                    Some(
                        trimmed
                            .split(',')
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned)
                            .collect(),
                    )
                }
            }
            NodeKind::Env { var, .. } => match self.defer(node, path) {
                Some(default) => self.strings(default, path),
                None => Some(vec![format!("${{{var}}}")]),
            },
            _ => {
                self.wrong_type(node, path, "a list of strings");
                None
            }
        }
    }

    /// One string or a list of strings.
    pub fn one_or_many(&mut self, node: &Node, path: &KeyPath) -> Option<Vec<String>> {
        match &node.kind {
            NodeKind::Str(_) if !node.from_text => self.name(node, path).map(|s| vec![s]),
            NodeKind::Str(text) if node.from_text && !text.trim().starts_with('[') => {
                self.strings(node, path)
            }
            _ => self.strings(node, path),
        }
    }

    /// A value from a closed set, matched case-insensitively; suggests the nearest on a miss.
    pub fn choice<T: Copy>(
        &mut self,
        node: &Node,
        path: &KeyPath,
        choices: &[(&'static str, T)],
    ) -> Option<T> {
        let text = self.string(node, path)?;
        if self.index.is_deferred(path) {
            return None;
        }
        let wanted = text.trim().to_ascii_lowercase().replace('_', "-");
        if let Some((_, value)) = choices
            .iter()
            .find(|(name, _)| name.replace('_', "-") == wanted)
        {
            return Some(*value);
        }
        let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
        let mut violation = self.invalid(
            node,
            path,
            format!("`{text}` is not one of {}", quote_list(&names)),
        );
        if let Some(close) = nearest(&text.to_ascii_lowercase(), names.iter().copied()) {
            violation = violation.help(format!("did you mean `{close}`?"));
        }
        self.report(violation);
        None
    }

    /// A JSON object, written as a table or as a string holding JSON.
    pub fn json_object(
        &mut self,
        node: &Node,
        path: &KeyPath,
    ) -> Option<serde_json::Map<String, serde_json::Value>> {
        match &node.kind {
            NodeKind::Table(_) => node.to_json().as_object().cloned(),
            NodeKind::Str(text) => match serde_json::from_str::<serde_json::Value>(text) {
                Ok(serde_json::Value::Object(map)) => Some(map),
                Ok(_) => {
                    let violation = self.invalid(node, path, "the JSON is not an object");
                    self.report(violation);
                    None
                }
                Err(err) => {
                    let violation = self
                        .invalid(node, path, format!("not valid JSON: {err}"))
                        .help("give the JWK as a JSON object string or as a table");
                    self.report(violation);
                    None
                }
            },
            NodeKind::Env { .. } => {
                let default = self.defer(node, path)?;
                self.json_object(default, path)
            }
            _ => {
                self.wrong_type(node, path, "a JSON object or a table");
                None
            }
        }
    }
}

impl<'n> TableReader<'n> {
    /// The path of this table.
    pub fn path(&self) -> &KeyPath {
        &self.path
    }

    /// Where the table's value was written.
    pub fn loc(&self) -> Loc {
        self.loc
    }

    /// Takes the field `key` (canonical spelling), recording where it was written.
    pub fn take(&mut self, d: &mut Decoder, key: &'static str) -> Option<Field<'n>> {
        self.asked.push(key);
        let entry = self.entries.iter_mut().find(|e| e.canonical == key)?;
        entry.used = true;
        d.index.locs.insert(self.path.key(key), entry.key_loc);
        Some(Field {
            name: key,
            key_loc: entry.key_loc,
            node: entry.node,
        })
    }

    /// Takes `key` and decodes it with `read`, which gets the value and its path.
    pub fn read<T>(
        &mut self,
        d: &mut Decoder,
        key: &'static str,
        read: impl FnOnce(&mut Decoder, &'n Node, &KeyPath) -> Option<T>,
    ) -> Option<T> {
        let field = self.take(d, key)?;
        let path = self.path.key(key);
        read(d, field.node, &path)
    }

    /// The keys present that nobody has taken yet, with their written spelling.
    pub fn remaining(&self) -> impl Iterator<Item = (&str, Loc)> {
        self.entries
            .iter()
            .filter(|e| !e.used)
            .map(|e| (e.written, e.key_loc))
    }

    /// Takes every remaining entry of a table keyed by id (`apps`, `providers`): the id as
    /// written, where it was written, and its value.
    pub fn take_entries(&mut self, d: &mut Decoder) -> Vec<(&'n str, Loc, &'n Node)> {
        let mut out = Vec::new();
        for entry in self.entries.iter_mut().filter(|e| !e.used) {
            entry.used = true;
            d.index
                .locs
                .insert(self.path.key(entry.written), entry.key_loc);
            out.push((entry.written, entry.key_loc, entry.node));
        }
        out
    }

    /// Reports every key nobody asked for as unknown, suggesting the nearest known key.
    pub fn finish(self, d: &mut Decoder) {
        for entry in self.entries.iter().filter(|e| !e.used) {
            let path = self.path.key(&entry.canonical);
            let mut violation = Violation::new(
                Rule::UnknownKey,
                path,
                Some(entry.key_loc),
                format!("unknown key `{}`", entry.written),
            );
            violation = match nearest(entry.written, self.asked.iter().copied()) {
                Some(close) => violation.help(format!("did you mean `{close}`?")),
                None => violation.help(format!("valid keys here: {}", quote_list(&self.asked))),
            };
            d.report(violation);
        }
    }
}

/// `"a", "b" or "c"` for messages.
pub fn quote_list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.as_slice() {
        [] => String::from("(none)"),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}
