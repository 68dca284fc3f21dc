//! Keeps the rulebook, its compile-fail cases and the configuration reference in step: every
//! rule has a `fail/` case and a line in `docs/configuration.md`, and every key of the model is
//! documented.

use std::collections::BTreeSet;

use frontmcp_auth::rules::{
    AuthConfig, PreRegisteredClient, RedisConfig, Rule, Secret, SecurityConfig, ServerConfig,
    SqliteConfig, SqliteEncryption, UpstreamProvider,
};

fn read(relative: &str) -> String {
    let path = format!("{}/{relative}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Rules the attribute cannot break: a list of tables (only a file has the syntax), and the
/// features of the runtime build (only the runtime knows them).
const FILE_ONLY: &[Rule] = &[Rule::DuplicateProviderId, Rule::FeatureNotCompiled];

#[test]
fn every_rule_has_a_compile_fail_case() {
    let dir = format!("{}/fail", env!("CARGO_MANIFEST_DIR"));
    let mut stderr = String::new();
    let mut cases = 0;
    for entry in std::fs::read_dir(&dir).expect("fail/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "stderr") {
            stderr.push_str(&std::fs::read_to_string(&path).expect("read"));
            cases += 1;
        }
    }
    assert!(cases >= 25, "only {cases} compile-fail cases");
    let missing: Vec<&str> = Rule::ALL
        .iter()
        .filter(|rule| !FILE_ONLY.contains(rule))
        .map(|rule| rule.name())
        .filter(|name| !stderr.contains(&format!("[{name}]")))
        .collect();
    assert!(
        missing.is_empty(),
        "rules without a fail/ case: {missing:?}"
    );
}

#[test]
fn every_rule_is_documented() {
    let docs = read("../docs/configuration.md");
    let missing: Vec<&str> = Rule::ALL
        .iter()
        .map(|rule| rule.name())
        .filter(|name| !docs.contains(&format!("| `{name}` |")))
        .collect();
    assert!(
        missing.is_empty(),
        "rules missing from docs/configuration.md: {missing:?}"
    );
}

fn leaves(value: &serde_json::Value, path: String, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) if !map.is_empty() => {
            for (key, child) in map {
                let next = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                leaves(child, next, out);
            }
        }
        serde_json::Value::Array(items)
            if items.first().is_some_and(serde_json::Value::is_object) =>
        {
            leaves(&items[0], format!("{path}[]"), out);
        }
        _ => {
            out.insert(path);
        }
    }
}

#[test]
fn every_key_of_the_model_is_documented() {
    let mut auth = AuthConfig {
        anonymous_subject: Some("operator".into()),
        client_secret: Some(Secret::new("x")),
        ..AuthConfig::default()
    };
    auth.providers.push(UpstreamProvider {
        id: "github".into(),
        name: Some("GitHub".into()),
        preset: Some("github".into()),
        issuer: Some("https://github.com".into()),
        authorization_endpoint: Some("https://github.com/login/oauth/authorize".into()),
        token_endpoint: Some("https://github.com/login/oauth/access_token".into()),
        client_id: "id".into(),
        client_secret: Some(Secret::new("s")),
        scopes: vec!["repo".into()],
        user_info_endpoint: Some("https://api.github.com/user".into()),
        jwks_uri: Some("https://github.com/jwks".into()),
    });
    auth.id_jag
        .issuers
        .push(frontmcp_auth::rules::TrustedIssuer {
            issuer: "https://idp.example.com".into(),
            jwks_uri: Some("https://idp.example.com/jwks".into()),
            jwks: None,
            algorithms: vec!["RS256".into()],
        });
    auth.login.authenticator = Some(frontmcp_auth::rules::AuthenticatorKind::Password);
    auth.login.users_file = Some("users.json".into());
    auth.dcr.clients.push(PreRegisteredClient {
        client_id: "cli".into(),
        client_secret: Some(Secret::new("s")),
        name: Some("CLI".into()),
        redirect_uris: vec!["http://127.0.0.1/cb".into()],
        grant_types: vec!["client_credentials".into()],
        scopes: vec!["notes:read".into()],
        jwks: None,
        jwks_uri: Some("https://cli.example.com/jwks".into()),
    });
    let config = ServerConfig {
        info: Default::default(),
        apps: Vec::new(),
        split_by_app: false,
        auth: Some(auth),
        http: Default::default(),
        logging: Default::default(),
        security: SecurityConfig {
            admin_token: Some(Secret::new("a")),
            metrics_token: Some(Secret::new("m")),
            allowed_email_domains: vec!["example.com".into()],
            cors: frontmcp_auth::rules::CorsConfig {
                allowed_origins: vec!["https://app.example.com".into()],
                ..Default::default()
            },
            rate_limits: frontmcp_auth::rules::RateLimitsConfig {
                enabled: Some(true),
                ..Default::default()
            },
            ..SecurityConfig::default()
        },
        ui: frontmcp_auth::rules::UiConfig {
            templates_dir: Some("templates".into()),
        },
        tool_scopes: Default::default(),
        prompt_scopes: Default::default(),
        resource_scopes: Default::default(),
    };
    let mut keys = BTreeSet::new();
    leaves(
        &serde_json::to_value(&config).expect("serializes"),
        String::new(),
        &mut keys,
    );
    let sqlite = SqliteConfig {
        encryption: Some(SqliteEncryption {
            secret: Secret::new("k"),
        }),
        ..SqliteConfig::default()
    };
    leaves(
        &serde_json::to_value(&sqlite).expect("sqlite"),
        "auth.token_storage.sqlite".into(),
        &mut keys,
    );
    leaves(
        &serde_json::to_value(RedisConfig::default()).expect("redis"),
        "auth.token_storage.redis".into(),
        &mut keys,
    );
    for (option, _) in AuthConfig::MODE_OPTIONS {
        keys.insert(format!("auth.{option}"));
    }
    keys.remove("apps");
    keys.remove("split_by_app");
    keys.insert("split_by_app".into());

    assert!(
        keys.len() > 100,
        "the key walk found only {} keys",
        keys.len()
    );
    assert!(
        keys.contains("auth.providers[].user_info_endpoint"),
        "{keys:#?}"
    );
    assert!(
        keys.contains("auth.token_storage.sqlite.encryption.secret"),
        "{keys:#?}"
    );
    let docs = read("../docs/configuration.md");
    let missing: Vec<&String> = keys
        .iter()
        .filter(|key| !docs.contains(&format!("`{key}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "keys missing from docs/configuration.md: {missing:#?}"
    );
}
