//! Runs the shared rulebook on the parsed attribute and turns each violation into a compile
//! error at the span of the key it names.

use frontmcp_auth_config::{Key, Node, NodeKind, Violation, check};

use crate::parse::Parsed;

/// Fills `info` from the struct name and the crate version where the attribute leaves it out.
pub fn add_info_defaults(parsed: &mut Parsed, server: &str) {
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_else(|_| "0.0.0".to_owned());
    let root_loc = parsed.root.loc;
    let NodeKind::Table(entries) = &mut parsed.root.kind else {
        return;
    };
    let info_index = match entries.iter().position(|(k, _)| k.name == "info") {
        Some(index) => index,
        None => {
            entries.push((
                Key {
                    name: "info".into(),
                    loc: root_loc,
                },
                Node::new(NodeKind::Table(Vec::new()), root_loc),
            ));
            entries.len() - 1
        }
    };
    let NodeKind::Table(info) = &mut entries[info_index].1.kind else {
        return;
    };
    for (key, value) in [("name", server.to_owned()), ("version", version)] {
        if !info.iter().any(|(k, _)| k.name == key) {
            info.push((
                Key {
                    name: key.into(),
                    loc: root_loc,
                },
                Node::new(NodeKind::Str(value), root_loc),
            ));
        }
    }
}

/// Checks the configuration; returns one combined error holding every violation, or `None`.
pub fn validate(parsed: &Parsed) -> Option<syn::Error> {
    let checked = check(&parsed.root);
    checked
        .violations
        .iter()
        .map(|v| {
            syn::Error::new(
                v.loc
                    .map_or_else(proc_macro2::Span::call_site, |l| parsed.span(l)),
                message(v),
            )
        })
        .reduce(|mut all, next| {
            all.combine(next);
            all
        })
}

fn message(v: &Violation) -> String {
    let mut text = format!("`{}`: {} [{}]", v.path, v.message, v.rule);
    if let Some(help) = &v.help {
        text.push_str("\n  = help: ");
        text.push_str(help);
    }
    text
}
