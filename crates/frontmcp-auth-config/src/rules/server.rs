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

/// `http.public_url` must be an absolute http(s) URL without query or fragment, `http.host` an
/// IP address or name, `http.allowed_origins` origins with a scheme, and
/// `http.trusted_proxies` IP addresses or CIDR ranges.
pub fn http_values_invalid(input: &RuleInput<'_>) -> Vec<Violation> {
    let http = &input.config.http;
    let base = KeyPath::root().key("http");
    let mut found = Vec::new();
    let mut report = |path: KeyPath, message: String, help: &str| {
        if input.known(&path) {
            let loc = input.index.loc(&path);
            found
                .push(Violation::new(Rule::InvalidValue, path, loc, message).help(help.to_owned()));
        }
    };
    if let Some(public) = &http.public_url {
        let problem = match url::Url::parse(public) {
            Err(err) => Some(err.to_string()),
            Ok(url) if !matches!(url.scheme(), "http" | "https") => {
                Some(format!("the scheme is {}", url.scheme()))
            }
            Ok(url) if url.query().is_some() || url.fragment().is_some() => {
                Some(String::from("it has a query or fragment"))
            }
            Ok(url) if url.host_str().is_none() => Some(String::from("it has no host")),
            Ok(_) => None,
        };
        if let Some(problem) = problem {
            report(
                base.key("public_url"),
                format!("`{public}` is not a usable public URL: {problem}"),
                "write the URL clients use, such as https://mcp.example.com",
            );
        }
    }
    if http.host.parse::<std::net::IpAddr>().is_err()
        && !http
            .host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        report(
            base.key("host"),
            format!("`{}` is not an address or host name", http.host),
            "use an address such as 127.0.0.1 or 0.0.0.0",
        );
    }
    for (i, origin) in http.allowed_origins.iter().enumerate() {
        if origin != "null" && !origin.contains("://") {
            report(
                base.key("allowed_origins").index(i),
                format!("`{origin}` is not an origin"),
                "write scheme, host and port: https://app.example.com or http://localhost:*",
            );
        }
    }
    for (i, proxy) in http.trusted_proxies.iter().enumerate() {
        if !is_ip_or_cidr(proxy) {
            report(
                base.key("trusted_proxies").index(i),
                format!("`{proxy}` is not an IP address or CIDR range"),
                "write 10.0.0.1 or 10.0.0.0/8",
            );
        }
    }
    found
}

/// Whether `text` is an IP address or a CIDR range such as `10.0.0.0/8`.
pub fn is_ip_or_cidr(text: &str) -> bool {
    match text.split_once('/') {
        None => text.parse::<std::net::IpAddr>().is_ok(),
        Some((addr, bits)) => match (addr.parse::<std::net::IpAddr>(), bits.parse::<u8>()) {
            (Ok(std::net::IpAddr::V4(_)), Ok(bits)) => bits <= 32,
            (Ok(std::net::IpAddr::V6(_)), Ok(bits)) => bits <= 128,
            _ => false,
        },
    }
}
