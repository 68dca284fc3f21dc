//! The crate's layering, checked on its source: which module may name which, no import cycles
//! among the authorization server's stages, no source file past 600 lines.
//!
//! Every `crate::…` and `super::…` path outside comments and test modules counts as a
//! dependency (a `use` line or a path written inline).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The longest source file allowed, in lines.
const MAX_LINES: usize = 600;

/// Modules that must not name each other: `(from, to, why)`. `from` matches a module and
/// everything below it.
const FORBIDDEN: &[(&str, &str, &str)] = &[
    (
        "secrets",
        "",
        "the hashing and sealing helpers sit at the bottom",
    ),
    ("store", "oauth", "storage is below the protocol"),
    ("store", "guard", "storage is below the guard"),
    ("store", "http", "storage knows no HTTP"),
    ("store", "mcp", "storage is below MCP"),
    ("store", "login", "storage is below the login"),
    ("store", "upstream", "storage is below upstream providers"),
    ("store", "ui", "storage renders nothing"),
    ("rate_limit", "http", "the limiter knows no HTTP"),
    ("rate_limit", "oauth", "the limiter is below the protocol"),
    ("token", "oauth", "signing is below the protocol"),
    ("token", "store", "signing needs no storage"),
    ("token", "guard", "signing is below the guard"),
    (
        "verify",
        "guard",
        "the verification contract is below the guard",
    ),
    (
        "verify",
        "oauth",
        "the verification contract is below the protocol",
    ),
    (
        "verify",
        "http",
        "the verification contract knows no HTTP framework",
    ),
    (
        "guard",
        "oauth",
        "the guard verifies through the contract, not the server",
    ),
    (
        "mcp",
        "oauth",
        "MCP composition is independent of the authorization server",
    ),
    ("oauth", "http", "the authorization server is sans-IO"),
    (
        "oauth",
        "guard",
        "the authorization server is below the guard",
    ),
    (
        "oauth",
        "ui",
        "the authorization server returns data, not pages",
    ),
    (
        "upstream",
        "oauth",
        "upstream clients are below the protocol",
    ),
    ("upstream", "guard", "upstream clients are below the guard"),
];

/// Crates a module must not use: `(module, crate)`.
const FORBIDDEN_CRATES: &[(&str, &str)] =
    &[("oauth", "axum"), ("store", "axum"), ("verify", "axum")];

fn source_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read src")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/oauth/callback.rs` → `["oauth", "callback"]`; `mod.rs` and `lib.rs` name their folder.
fn module_of(path: &Path) -> Vec<String> {
    let relative = path.strip_prefix(source_root()).expect("under src");
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The code of a file without comments and without its `#[cfg(test)]` module.
fn code_of(text: &str) -> String {
    let body = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    body.lines()
        .map(|line| match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The identifiers that follow `prefix` in `code`, as module paths (`crate::oauth::x` →
/// `["oauth", "x"]`); braces of a `use` group are followed one level.
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().last();
        rest = &rest[at + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let mut path = Vec::new();
        let mut tail = rest;
        loop {
            let ident: String = tail
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if ident.is_empty() {
                break;
            }
            tail = &tail[ident.len()..];
            path.push(ident);
            match tail.strip_prefix("::") {
                Some(next) => tail = next,
                None => break,
            }
        }
        if !path.is_empty() {
            found.push(path);
        } else if let Some(group) = tail.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.push(vec![name]);
                }
            }
        }
    }
    found
}

/// A module path: `["oauth", "callback"]`.
type Module = Vec<String>;
/// The modules each module names.
type Edges = BTreeMap<Module, BTreeSet<Module>>;

/// Every module of the crate, and the modules each one names.
fn graph() -> (BTreeSet<Module>, Edges) {
    let mut files = Vec::new();
    rust_files(&source_root(), &mut files);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(f)).collect();
    let resolve = |path: &[String]| -> Vec<String> {
        (1..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|candidate| modules.contains(candidate))
            .unwrap_or_default()
    };
    let mut edges: Edges = BTreeMap::new();
    for file in &files {
        let module = module_of(file);
        let code = code_of(&std::fs::read_to_string(file).expect("read source"));
        let is_folder = matches!(
            file.file_name().and_then(|n| n.to_str()),
            Some("mod.rs" | "lib.rs")
        );
        let parent: Vec<String> = if is_folder {
            module.clone()
        } else {
            module[..module.len().saturating_sub(1)].to_vec()
        };
        let mut named = BTreeSet::new();
        for path in paths_after(&code, "crate::") {
            named.insert(resolve(&path));
        }
        for mut path in paths_after(&code, "super::") {
            let mut base = parent[..parent.len().saturating_sub(usize::from(is_folder))].to_vec();
            while path.first().is_some_and(|p| p == "super") {
                path.remove(0);
                base.pop();
            }
            base.extend(path);
            named.insert(resolve(&base));
        }
        named.remove(&module);
        named.remove(&Vec::new());
        edges.entry(module).or_default().extend(named);
    }
    (modules, edges)
}

fn under(module: &[String], top: &str) -> bool {
    top.is_empty() || module.first().is_some_and(|m| m == top)
}

#[test]
fn no_module_names_a_layer_above_it() {
    let (_, edges) = graph();
    let mut violations = Vec::new();
    for (from, named) in &edges {
        for to in named {
            for (low, high, why) in FORBIDDEN {
                if under(from, low) && under(to, high) && !under(to, low) {
                    violations.push(format!(
                        "{} names {}: {why}",
                        from.join("::"),
                        to.join("::")
                    ));
                }
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_protocol_and_storage_never_use_the_web_framework() {
    let mut files = Vec::new();
    rust_files(&source_root(), &mut files);
    let mut violations = Vec::new();
    for file in &files {
        let module = module_of(file);
        let text = std::fs::read_to_string(file).expect("read source");
        let code = code_of(&text);
        for (top, krate) in FORBIDDEN_CRATES {
            if under(&module, top) && !paths_after(&code, &format!("{krate}::")).is_empty() {
                violations.push(format!("{} uses {krate}", file.display()));
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_authorization_server_stages_import_each_other_without_a_cycle() {
    let (_, edges) = graph();
    let oauth: BTreeMap<&Vec<String>, Vec<&Vec<String>>> = edges
        .iter()
        .filter(|(from, _)| from.len() >= 2 && from[0] == "oauth")
        .map(|(from, to)| {
            (
                from,
                to.iter()
                    .filter(|t| t.len() >= 2 && t[0] == "oauth")
                    .collect(),
            )
        })
        .collect();
    // Depth-first search; a grey node met again closes a cycle.
    fn visit<'a>(
        node: &'a Vec<String>,
        graph: &BTreeMap<&'a Vec<String>, Vec<&'a Vec<String>>>,
        state: &mut BTreeMap<&'a Vec<String>, u8>,
        stack: &mut Vec<&'a Vec<String>>,
        cycles: &mut Vec<String>,
    ) {
        state.insert(node, 1);
        stack.push(node);
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next).copied().unwrap_or(0) {
                0 => visit(next, graph, state, stack, cycles),
                1 => {
                    let from = stack.iter().position(|n| n == next).unwrap_or(0);
                    let names: Vec<String> = stack[from..].iter().map(|n| n.join("::")).collect();
                    cycles.push(format!("{} -> {}", names.join(" -> "), next.join("::")));
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(node, 2);
    }
    let mut state = BTreeMap::new();
    let mut cycles = Vec::new();
    for node in oauth.keys() {
        if !state.contains_key(node) {
            visit(node, &oauth, &mut state, &mut Vec::new(), &mut cycles);
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_checker_sees_imports_inline_paths_and_groups() {
    let code = "use super::{callback, consent::X};\nlet a = crate::store::Store::new();";
    assert_eq!(
        paths_after(code, "super::"),
        [vec!["callback".to_owned()], vec!["consent".to_owned()]]
    );
    assert_eq!(
        paths_after(code, "crate::"),
        [vec!["store", "Store", "new"]]
    );
    let (modules, edges) = graph();
    assert!(modules.contains(&vec!["oauth".to_owned(), "callback".to_owned()]));
    let server = edges
        .get(&vec!["oauth".to_owned(), "authorize".to_owned()])
        .expect("authorize imports");
    assert!(
        server.contains(&vec!["oauth".to_owned(), "server".to_owned()]),
        "{server:?}"
    );
}

#[test]
fn no_source_file_is_longer_than_the_limit() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root");
    let mut files = Vec::new();
    for dir in ["crates", "examples", "ui-tests", "tests"] {
        let dir = workspace.join(dir);
        if dir.is_dir() {
            collect_sources(&dir, &mut files);
        }
    }
    assert!(files.len() > 50, "found only {} files", files.len());
    let long: Vec<String> = files
        .iter()
        .filter_map(|file| {
            let lines = std::fs::read_to_string(file).ok()?.lines().count();
            (lines > MAX_LINES).then(|| format!("{}: {lines} lines", file.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "past {MAX_LINES} lines:\n{}",
        long.join("\n")
    );
}

fn collect_sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.filter_map(Result::ok).map(|e| e.path()) {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if !matches!(name, "target" | "node_modules") && !name.starts_with('.') {
                collect_sources(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}
