//! Rules about the server as a whole: apps, `split_by_app`, HTTP paths.

use std::collections::BTreeSet;

use super::RuleInput;
use crate::path::KeyPath;
use crate::violation::{Rule, Violation};

/// Server-level `auth` together with `split_by_app = true`: with split apps each app has its
/// own auth, so a server-level one would never be used.
pub fn auth_with_split_by_app(input: &RuleInput<'_>) -> Vec<Violation> {
    if !input.config.split_by_app || input.config.auth.is_none() {
        return Vec::new();
    }
    let path = KeyPath::root().key("auth");
    vec![
        Violation::new(
            Rule::AuthWithSplitByApp,
            path.clone(),
            input.loc_or(&path, &KeyPath::root().key("split_by_app")),
            "server-level `auth` is not allowed with `split_by_app = true`",
        )
        .help("move the auth into each app: apps(BillingApp(auth(...)), ...)"),
    ]
}

/// `split_by_app = true` and an app without its own `auth`.
pub fn split_by_app_app_without_auth(input: &RuleInput<'_>) -> Vec<Violation> {
    if !input.config.split_by_app {
        return Vec::new();
    }
    input
        .config
        .apps
        .iter()
        .filter(|app| app.auth.is_none())
        .map(|app| {
            let path = KeyPath::root().key("apps").key(&app.id);
            Violation::new(
                Rule::SplitByAppAppWithoutAuth,
                path.key("auth"),
                input.loc_or(&path, &KeyPath::root().key("split_by_app")),
                format!("app `{}` has no `auth`, but `split_by_app = true` needs one per app", app.id),
            )
            .help(format!(
                "add auth(...) to the app in apps(...), such as MyApp(auth(mode = \"public\")), or set [apps.{}.auth] in frontmcp.toml",
                app.id
            ))
        })
        .collect()
}

/// An app with its own `auth` while `split_by_app` is off: it would never be used.
pub fn app_auth_without_split_by_app(input: &RuleInput<'_>) -> Vec<Violation> {
    if input.config.split_by_app {
        return Vec::new();
    }
    input
        .config
        .apps
        .iter()
        .filter(|app| app.auth.is_some())
        .map(|app| {
            let path = KeyPath::root().key("apps").key(&app.id).key("auth");
            Violation::new(
                Rule::AppAuthWithoutSplitByApp,
                path.clone(),
                input.index.loc(&path),
                format!(
                    "app `{}` has its own `auth`, which is only used with `split_by_app = true`",
                    app.id
                ),
            )
            .help("set split_by_app = true, or move the auth to the server level")
        })
        .collect()
}

/// Two apps with the same id would share a path and a tool namespace.
pub fn duplicate_app_id(input: &RuleInput<'_>) -> Vec<Violation> {
    let mut seen = BTreeSet::new();
    input
        .config
        .apps
        .iter()
        .filter(|app| !seen.insert(app.id.as_str()))
        .map(|app| {
            let path = KeyPath::root().key("apps").key(&app.id);
            Violation::new(
                Rule::DuplicateAppId,
                path.clone(),
                input.index.loc(&path),
                format!("two apps have the id `{}`", app.id),
            )
            .help("give one of them another id: BillingApp(id = \"billing2\")")
        })
        .collect()
}

/// `http.entry_path` must be empty or `/segment[/segment...]` without a trailing slash.
pub fn entry_path_invalid(input: &RuleInput<'_>) -> Vec<Violation> {
    let entry = &input.config.http.entry_path;
    let path = KeyPath::root().key("http").key("entry_path");
    if entry.is_empty() || !input.known(&path) {
        return Vec::new();
    }
    let segments_ok = entry.strip_prefix('/').is_some_and(|rest| {
        rest.split('/').all(|segment| {
            !segment.is_empty()
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
        })
    });
    if segments_ok {
        return Vec::new();
    }
    vec![
        Violation::new(
            Rule::EntryPathInvalid,
            path.clone(),
            input.index.loc(&path),
            format!("`{entry}` is not a valid entry path"),
        )
        .help("use \"\" or a path such as \"/api\" (leading slash, no trailing slash, no spaces)"),
    ]
}
