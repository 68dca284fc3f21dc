//! Rules about storage, upstream providers and URLs.

use std::collections::BTreeSet;

use super::RuleInput;
use crate::model::{AuthConfig, AuthMode, TokenStorage};
use crate::path::KeyPath;
use crate::violation::{Rule, Violation};

/// Where the redis settings are written: `token_storage.redis`, the seeds'
/// `token_storage.config`, or `token_storage` itself.
pub(super) fn redis_block(input: &RuleInput<'_>, base: &KeyPath) -> KeyPath {
    let storage = base.key("token_storage");
    ["redis", "config"]
        .iter()
        .map(|k| storage.key(k))
        .find(|p| input.index.is_set(p))
        .unwrap_or(storage)
}

/// `redis` token storage needs a host.
pub fn redis_host_required(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    let TokenStorage::Redis(redis) = &auth.token_storage else {
        return Vec::new();
    };
    if !auth.mode.is_orchestrated() || !redis.host.trim().is_empty() || !redis.cluster.is_empty() {
        return Vec::new();
    }
    let storage = base.key("token_storage");
    let block = redis_block(input, base);
    vec![
        Violation::new(
            Rule::RedisHostRequired,
            block.key("host"),
            input.loc_or(&block, &storage),
            "redis token storage needs a `host`",
        )
        .help("add host = \"redis.example.com\", or host = env(\"REDIS_HOST\") to read it at start-up"),
    ]
}

/// `redis(cluster = [...])`: seed nodes as `host:port`, not beside `host`, database 0 (the only
/// one a cluster has), and a key prefix without `{` or `}` (the store's hash tags follow it).
pub fn redis_cluster_invalid(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    let TokenStorage::Redis(redis) = &auth.token_storage else {
        return Vec::new();
    };
    if redis.cluster.is_empty() {
        return Vec::new();
    }
    let storage = base.key("token_storage");
    let block = redis_block(input, base);
    let at = |key: &str| input.loc_or(&block.key(key), &storage);
    let mut found = Vec::new();
    for node in &redis.cluster {
        let valid = node.rsplit_once(':').is_some_and(|(host, port)| {
            !host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .is_empty()
                && port.parse::<u16>().is_ok_and(|p| p > 0)
        });
        if !valid {
            found.push(
                Violation::new(
                    Rule::InvalidValue,
                    block.key("cluster"),
                    at("cluster"),
                    format!("cluster node `{node}` is not `host:port`"),
                )
                .help("list seed nodes as \"10.0.0.1:6379\""),
            );
        }
    }
    if !redis.host.trim().is_empty() && input.index.is_set(&block.key("host")) {
        found.push(
            Violation::new(
                Rule::ConflictingKeys,
                block.key("cluster"),
                at("cluster"),
                "`cluster` and `host` both name where Redis is",
            )
            .help("keep `cluster` (the seed nodes) and remove `host` and `port`"),
        );
    }
    if redis.db != 0 {
        found.push(
            Violation::new(
                Rule::InvalidValue,
                block.key("db"),
                at("db"),
                "a Redis Cluster has only database 0",
            )
            .help("remove `db`, or give this server its own `key_prefix`"),
        );
    }
    if redis.key_prefix.contains(['{', '}']) {
        found.push(
            Violation::new(
                Rule::InvalidValue,
                block.key("key_prefix"),
                at("key_prefix"),
                "on a cluster the key prefix cannot hold `{` or `}` (the store's hash tags follow it)",
            )
            .help("use a prefix such as \"frontmcp:auth:\""),
        );
    }
    found
}

/// How many upstream providers the mode can link, and their ids.
fn linkable_providers(auth: &AuthConfig) -> (usize, BTreeSet<&str>) {
    match auth.mode {
        AuthMode::Local => (
            auth.providers.len(),
            auth.providers.iter().map(|p| p.id.as_str()).collect(),
        ),
        AuthMode::Remote => (
            1,
            BTreeSet::from([auth.provider_config.id.as_deref().unwrap_or("default")]),
        ),
        _ => (0, BTreeSet::new()),
    }
}

/// `federated_auth.min_providers` can never be met when fewer providers are configured.
pub fn min_providers_exceeds_providers(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    let path = base.key("federated_auth").key("min_providers");
    let Some(min) = auth.federated_auth.min_providers else {
        return Vec::new();
    };
    let (count, _) = linkable_providers(auth);
    if !auth.mode.is_orchestrated() || !input.known(&path) || min <= count as u64 {
        return Vec::new();
    }
    vec![
        Violation::new(
            Rule::MinProvidersExceedsProviders,
            path.clone(),
            input.index.loc(&path),
            format!("min_providers = {min}, but only {count} provider(s) are configured; no login could ever finish"),
        )
        .help(format!("lower min_providers to at most {count}, or add providers")),
    ]
}

/// `federated_auth.required_providers` may only name configured providers.
pub fn required_provider_unknown(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    if !auth.mode.is_orchestrated() {
        return Vec::new();
    }
    let (_, ids) = linkable_providers(auth);
    let path = base.key("federated_auth").key("required_providers");
    let configured: Vec<&str> = ids.iter().copied().collect();
    auth.federated_auth
        .required_providers
        .iter()
        .enumerate()
        .filter(|(_, id)| !ids.contains(id.as_str()))
        .map(|(i, id)| {
            let mut violation = Violation::new(
                Rule::RequiredProviderUnknown,
                path.index(i),
                input.index.loc(&path),
                format!("required provider `{id}` is not configured"),
            );
            violation = match crate::names::nearest(id, configured.iter().copied()) {
                Some(close) => violation.help(format!("did you mean `{close}`?")),
                None => violation.help(format!(
                    "configured providers: {}",
                    crate::decode::quote_list(&configured)
                )),
            };
            violation
        })
        .collect()
}

/// Two providers with one id could not be told apart.
pub fn duplicate_provider_id(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    if auth.mode != AuthMode::Local {
        return Vec::new();
    }
    let path = base.key("providers");
    let mut seen = BTreeSet::new();
    auth.providers
        .iter()
        .enumerate()
        .filter(|(_, p)| !seen.insert(p.id.as_str()))
        .map(|(i, p)| {
            Violation::new(
                Rule::DuplicateProviderId,
                path.index(i).key("id"),
                input.index.loc(&path),
                format!("two providers have the id `{}`", p.id),
            )
            .help("give each provider its own id")
        })
        .collect()
}

/// Every value that must be a URL is an absolute http(s) URL (redirect URIs: any absolute URI
/// without a fragment, so native apps' private-use schemes work).
pub fn invalid_url(input: &RuleInput<'_>, base: &KeyPath, auth: &AuthConfig) -> Vec<Violation> {
    let mut http: Vec<(KeyPath, &str)> = Vec::new();
    let mut redirect: Vec<(KeyPath, &str)> = Vec::new();
    let applies =
        |option: &str| AuthConfig::modes_of(option).is_some_and(|m| m.contains(&auth.mode));
    if applies("provider") {
        if let Some(provider) = &auth.provider
            && (auth.mode != AuthMode::Remote || crate::model::is_url(provider))
        {
            http.push((base.key("provider"), provider));
        }
        let pc = base.key("provider_config");
        let remote_urls = [
            ("issuer", &auth.provider_config.issuer),
            (
                "authorization_endpoint",
                &auth.provider_config.authorization_endpoint,
            ),
            ("token_endpoint", &auth.provider_config.token_endpoint),
            ("userinfo_endpoint", &auth.provider_config.userinfo_endpoint),
            (
                "revocation_endpoint",
                &auth.provider_config.revocation_endpoint,
            ),
        ];
        for (key, value) in remote_urls {
            if let Some(uri) = value
                && auth.mode == AuthMode::Remote
            {
                http.push((pc.key(key), uri));
            }
        }
        if let Some(uri) = &auth.provider_config.jwks_uri {
            http.push((pc.key("jwks_uri"), uri));
        }
        for (i, issuer) in auth.provider_config.additional_issuers.iter().enumerate() {
            http.push((pc.key("additional_issuers").index(i), issuer));
        }
    }
    if auth.mode.is_orchestrated() {
        if let Some(issuer) = &auth.local.issuer {
            http.push((base.key("local").key("issuer"), issuer));
        }
        for (i, client) in auth.dcr.clients.iter().enumerate() {
            let clients = base.key("dcr").key("clients");
            let entry = if input.index.is_set(&clients.key(&client.client_id)) {
                clients.key(&client.client_id)
            } else {
                clients.index(i)
            };
            for (j, uri) in client.redirect_uris.iter().enumerate() {
                redirect.push((entry.key("redirect_uris").index(j), uri));
            }
        }
    }
    if auth.mode == AuthMode::Local {
        for (i, provider) in auth.providers.iter().enumerate() {
            let providers = base.key("providers");
            let entry = if input.index.is_set(&providers.key(&provider.id)) {
                providers.key(&provider.id)
            } else {
                providers.index(i)
            };
            for (key, value) in [
                ("issuer", &provider.issuer),
                ("authorization_endpoint", &provider.authorization_endpoint),
                ("token_endpoint", &provider.token_endpoint),
                ("user_info_endpoint", &provider.user_info_endpoint),
                ("jwks_uri", &provider.jwks_uri),
            ] {
                if let Some(uri) = value {
                    http.push((entry.key(key), uri));
                }
            }
        }
    }
    let mut found = Vec::new();
    for (path, value) in http {
        if let Some(problem) = http_url_problem(value)
            && input.known(&path)
        {
            found.push(url_violation(
                input,
                path,
                value,
                &problem,
                "write an absolute URL such as https://auth.example.com",
            ));
        }
    }
    for (path, value) in redirect {
        if let Some(problem) = redirect_uri_problem(value)
            && input.known(&path)
        {
            found.push(url_violation(
                input,
                path,
                value,
                &problem,
                "write the exact redirect URI, such as http://127.0.0.1:8976/callback",
            ));
        }
    }
    found
}

fn url_violation(
    input: &RuleInput<'_>,
    path: KeyPath,
    value: &str,
    problem: &str,
    help: &str,
) -> Violation {
    let loc = input.index.loc(&path).or_else(|| {
        let mut parent = path.clone();
        while parent.last_key().is_none() && !parent.segments().is_empty() {
            parent = KeyPath::parse(
                &parent
                    .to_string()
                    .rsplit_once('[')
                    .map_or(String::new(), |(head, _)| head.to_owned()),
            );
        }
        input.index.loc(&parent)
    });
    Violation::new(
        Rule::InvalidUrl,
        path,
        loc,
        format!("`{value}` is not a valid URL: {problem}"),
    )
    .help(help)
}

fn http_url_problem(value: &str) -> Option<String> {
    match url::Url::parse(value) {
        Err(err) => Some(err.to_string()),
        Ok(url) if !matches!(url.scheme(), "http" | "https") => Some(format!(
            "the scheme must be http or https, not {}",
            url.scheme()
        )),
        Ok(url) if url.host_str().is_none_or(str::is_empty) => Some(String::from("it has no host")),
        Ok(_) => None,
    }
}

fn redirect_uri_problem(value: &str) -> Option<String> {
    match url::Url::parse(value) {
        Err(err) => Some(err.to_string()),
        Ok(url) if url.fragment().is_some() => {
            Some(String::from("a redirect URI must not have a fragment"))
        }
        Ok(url) if matches!(url.scheme(), "javascript" | "data" | "file" | "vbscript") => Some(
            format!("the `{}` scheme is never a valid redirect", url.scheme()),
        ),
        Ok(_) => None,
    }
}
