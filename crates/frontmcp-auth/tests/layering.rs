//! The layers: attribute < file < `FRONTMCP_*` env < seed variables; every violation named with
//! its source; secrets never printed.

mod common;

use common::{assert_violation, bare, load_toml};
use frontmcp_auth::FrontMcpServer;
use frontmcp_auth::config::{Environment, FileChoice, Source, render_effective};
use frontmcp_auth::prelude::*;
use frontmcp_auth::rules::{AuthMode, KeyPath, Rule, TokenStorage};

#[frontmcp(
    info(name = "LayeredServer", version = "2.0.0"),
    auth(
        mode = "local",
        consent(enabled = true),
        refresh(access_token_ttl = 900, refresh_token_ttl = 604800),
        token_storage(sqlite(path = "attribute.db")),
    )
)]
struct Server;

#[test]
fn each_layer_overrides_the_one_below() {
    let toml = "[auth.refresh]\naccessTokenTtl = 600\nrefreshTokenTtl = 86400\n";
    let env = [
        ("FRONTMCP_AUTH__REFRESH__REFRESH_TOKEN_TTL", "43200"),
        ("FRONTMCP_HTTP__PORT", "8081"),
    ];
    let loaded = load_toml(&Server::definition(), toml, &env).expect("valid");
    let auth = loaded.config.effective_auth();
    assert!(auth.consent.enabled, "attribute value kept");
    assert_eq!(auth.refresh.access_token_ttl, 600, "file beats attribute");
    assert_eq!(auth.refresh.refresh_token_ttl, 43_200, "env beats file");
    assert_eq!(loaded.config.http.port, 8081);

    let source = |path: &str| loaded.sources.source_of(&KeyPath::parse(path));
    assert_eq!(
        source("auth.consent.enabled"),
        Source::Attribute {
            server: "Server".into()
        }
    );
    assert!(matches!(
        source("auth.refresh.access_token_ttl"),
        Source::File { .. }
    ));
    assert_eq!(
        source("auth.refresh.refresh_token_ttl"),
        Source::Env {
            var: "FRONTMCP_AUTH__REFRESH__REFRESH_TOKEN_TTL".into()
        }
    );
    assert_eq!(source("auth.session_mode"), Source::Default);
}

#[test]
fn seed_variables_beat_frontmcp_variables() {
    let env = [
        (
            "FRONTMCP_AUTH__LOCAL__JWT_SECRET",
            "from-frontmcp-env-0123456789abcdef",
        ),
        ("JWT_SECRET", "from-the-seed-variable-0123456789abc"),
    ];
    let loaded = load_toml(&Server::definition(), "", &env).expect("valid");
    let secret = loaded
        .config
        .effective_auth()
        .local
        .jwt_secret
        .expect("secret");
    assert_eq!(secret.expose(), "from-the-seed-variable-0123456789abc");
    let source = loaded
        .sources
        .source_of(&KeyPath::parse("auth.local.jwt_secret"));
    assert_eq!(
        source,
        Source::Env {
            var: "JWT_SECRET".into()
        }
    );
}

#[test]
fn env_overrides_that_break_rules_list_every_violation_with_its_source() {
    let env = [
        ("FRONTMCP_AUTH__MODE", "public"),
        ("FRONTMCP_AUTH__SESSION_TTL", "0"),
        ("FRONTMCP_HTTP__PORT", "eighty"),
    ];
    let err = Server::definition()
        .loader()
        .env(Environment::from_pairs(env))
        .file(FileChoice::None)
        .load()
        .expect_err("must refuse");
    let text = err.to_string();
    let rules: Vec<Rule> = err.problems().iter().map(|p| p.violation.rule).collect();
    assert_eq!(
        rules
            .iter()
            .filter(|r| **r == Rule::OptionOutsideMode)
            .count(),
        3,
        "consent, refresh and token_storage are local-only: {text}"
    );
    assert!(rules.contains(&Rule::ZeroTtl), "{text}");
    assert!(rules.contains(&Rule::InvalidValue), "{text}");
    for expected in [
        "`auth.consent`: `consent` applies to local and remote mode, but the auth uses mode = \"public\"",
        "set in: #[frontmcp] on `Server`",
        "because of: `auth.mode` from env FRONTMCP_AUTH__MODE",
        "`auth.session_ttl`: `session_ttl` must be greater than zero",
        "set in: env FRONTMCP_AUTH__SESSION_TTL",
        "`http.port`: `eighty` is not a whole number",
        "set in: env FRONTMCP_HTTP__PORT",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(
        text.starts_with("the configuration of `Server` has 5 problems:"),
        "{text}"
    );
}

#[test]
fn all_digit_values_from_the_environment_stay_strings() {
    let env = [
        ("JWT_SECRET", "00000000001111111111222222222233333"),
        ("FRONTMCP_AUTH__TOKEN_STORAGE__SQLITE__PATH", "0123"),
    ];
    let loaded = load_toml(&Server::definition(), "", &env).expect("valid");
    let auth = loaded.config.effective_auth();
    assert_eq!(
        auth.local.jwt_secret.expect("secret").expose(),
        "00000000001111111111222222222233333"
    );
    let TokenStorage::Sqlite(sqlite) = auth.token_storage else {
        panic!("expected sqlite");
    };
    assert_eq!(sqlite.path, "0123");
}

#[test]
fn secrets_never_appear_in_errors_debug_or_print() {
    let short = "hunter2-is-too-short";
    let err =
        load_toml(&Server::definition(), "", &[("JWT_SECRET", short)]).expect_err("too short");
    let text = err.to_string();
    assert!(text.contains("the HS256 secret is 20 bytes"), "{text}");
    assert!(text.contains("set in: env JWT_SECRET"), "{text}");
    assert!(!text.contains(short), "{text}");
    assert!(!format!("{err:?}").contains(short));

    let long = "a-secret-that-is-long-enough-0123456789";
    let loaded = load_toml(&Server::definition(), "", &[("JWT_SECRET", long)]).expect("valid");
    assert!(!format!("{:?}", loaded.config).contains(long));
    let printed = render_effective(&loaded);
    assert!(!printed.contains(long), "{printed}");
    assert!(
        printed.contains("auth.local.jwt_secret = \"[redacted]\""),
        "{printed}"
    );
    assert!(printed.contains("# env JWT_SECRET"), "{printed}");
}

#[test]
fn seed_variables_that_do_not_apply_are_noted_not_used() {
    let env = [("REDIS_HOST", "redis.internal"), ("IDP_CLIENT_ID", "abc")];
    let loaded = load_toml(&Server::definition(), "", &env).expect("valid");
    assert!(matches!(
        loaded.config.effective_auth().token_storage,
        TokenStorage::Sqlite(_)
    ));
    assert_eq!(loaded.notes.len(), 2, "{:?}", loaded.notes);
    assert!(
        loaded.notes[0].contains("REDIS_HOST is set but not used: token storage is sqlite"),
        "{:?}",
        loaded.notes
    );
    assert!(
        loaded.notes[1].contains("IDP_CLIENT_ID is set but not used: the auth mode is local"),
        "{:?}",
        loaded.notes
    );
}

#[test]
fn camel_and_snake_spellings_of_one_key_collide() {
    let toml = "[auth]\nmode = \"local\"\ntokenStorage = \"memory\"\ntoken_storage = \"sqlite\"\n";
    let text = assert_violation(
        load_toml(&bare(), toml, &[]),
        Rule::DuplicateKey,
        "name the same option",
    );
    assert!(text.contains("set in: file "), "{text}");
}

#[test]
fn a_malformed_file_is_a_clear_error() {
    let text = assert_violation(
        load_toml(&bare(), "[auth\nmode = ", &[]),
        Rule::InvalidValue,
        "is not valid TOML",
    );
    assert!(text.contains("frontmcp.toml"), "{text}");
    let missing = bare()
        .loader()
        .env(Environment::default())
        .file(FileChoice::Path("/nonexistent/frontmcp.toml".into()))
        .load()
        .expect_err("missing file");
    assert!(
        missing
            .to_string()
            .contains("cannot read /nonexistent/frontmcp.toml"),
        "{missing}"
    );
}

#[test]
fn frontmcp_config_names_the_file() {
    let (_dir, path) = common::write_file(
        "custom.toml",
        "[auth]\nmode = \"public\"\nsessionTtl = 120\n",
    );
    let env = Environment::from_pairs([("FRONTMCP_CONFIG", path.to_string_lossy().into_owned())]);
    let loaded = bare().loader().env(env).load().expect("valid");
    assert_eq!(loaded.config.effective_auth().session_ttl, 120);
    assert_eq!(loaded.file.as_deref(), Some(path.as_path()));
}

#[frontmcp(
    auth(
        mode = "local",
        token_storage(redis(host = env("REDIS_HOST"), port = env("REDIS_PORT", default = 6379))),
    ),
)]
struct EnvServer;

#[test]
fn attribute_env_values_are_read_at_start_up() {
    let loaded = load_toml(
        &EnvServer::definition(),
        "",
        &[("REDIS_HOST", "cache.internal")],
    )
    .expect("valid");
    let TokenStorage::Redis(redis) = loaded.config.effective_auth().token_storage else {
        panic!("expected redis");
    };
    assert_eq!((redis.host.as_str(), redis.port), ("cache.internal", 6379));
    let source = loaded
        .sources
        .source_of(&KeyPath::parse("auth.token_storage.redis.host"));
    assert_eq!(
        source,
        Source::Env {
            var: "REDIS_HOST".into()
        }
    );

    let text = assert_violation(
        load_toml(&EnvServer::definition(), "", &[]),
        Rule::MissingKey,
        "REDIS_HOST is not set",
    );
    assert!(
        text.contains("set in: #[frontmcp] on `EnvServer`"),
        "{text}"
    );
}

#[test]
fn info_defaults_to_struct_name_and_crate_version() {
    #[frontmcp(auth(mode = "public"))]
    struct Anonymous;
    let loaded = load_toml(&Anonymous::definition(), "", &[]).expect("valid");
    assert_eq!(loaded.config.info.name, "Anonymous");
    assert_eq!(loaded.config.info.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(loaded.config.effective_auth().mode, AuthMode::Public);
}

/// A server written without the macro: only `definition` is implemented by hand.
struct HandWritten;

impl FrontMcpServer for HandWritten {
    fn definition() -> ServerDefinition {
        ServerDefinition::new("HandWritten").with_base(serde_json::json!({
            "auth": { "mode": "transparent", "expectedAudience": "https://api.example.com" }
        }))
    }
}

#[tokio::test]
async fn serve_refuses_a_broken_configuration_before_binding() {
    match HandWritten::serve().await {
        Err(frontmcp_auth::Error::Config(err)) => {
            assert!(
                err.to_string()
                    .contains("transparent mode needs `provider`"),
                "{err}"
            );
        }
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

/// A local-mode server whose SQLite file cannot be created.
struct UnopenableStorage;

impl FrontMcpServer for UnopenableStorage {
    fn definition() -> ServerDefinition {
        ServerDefinition::new("UnopenableStorage").with_base(serde_json::json!({
            "auth": {
                "mode": "local",
                "local": { "jwt_secret": "0123456789abcdef0123456789abcdef" },
                "token_storage": { "sqlite": { "path": "/nonexistent-frontmcp-dir/auth.db" } }
            }
        }))
    }
}

#[tokio::test]
async fn serve_stops_when_the_token_storage_cannot_be_opened() {
    match UnopenableStorage::serve().await {
        Err(frontmcp_auth::Error::Storage(err)) => {
            let text = err.to_string();
            assert!(
                text.contains("cannot open /nonexistent-frontmcp-dir/auth.db"),
                "{text}"
            );
        }
        other => panic!("expected a storage error, got {other:?}"),
    }
}

#[test]
fn a_higher_layer_naming_another_backend_replaces_the_storage() {
    let env = [
        (
            "FRONTMCP_AUTH__TOKEN_STORAGE__REDIS__HOST",
            "redis.internal",
        ),
        ("REDIS_PORT", "6380"),
    ];
    let loaded = load_toml(&Server::definition(), "", &env).expect("valid");
    let TokenStorage::Redis(redis) = loaded.config.effective_auth().token_storage else {
        panic!("the env layer's redis replaces the attribute's sqlite");
    };
    assert_eq!((redis.host.as_str(), redis.port), ("redis.internal", 6380));

    let loaded = load_toml(
        &Server::definition(),
        "[auth]\ntoken_storage = \"memory\"\n",
        &[],
    )
    .expect("valid");
    assert_eq!(
        loaded.config.effective_auth().token_storage,
        TokenStorage::Memory,
        "a file naming memory replaces the attribute's sqlite"
    );
    let loaded = load_toml(
        &Server::definition(),
        "[auth.token_storage.sqlite]\nwal_mode = false\n",
        &[],
    )
    .expect("valid");
    let TokenStorage::Sqlite(sqlite) = loaded.config.effective_auth().token_storage else {
        panic!("the same backend merges");
    };
    assert_eq!(
        (sqlite.path.as_str(), sqlite.wal_mode),
        ("attribute.db", false),
        "settings of the same backend merge key by key"
    );
}

#[test]
fn the_refresh_grace_window_is_at_most_a_minute() {
    let toml = "[auth]\nmode = \"local\"\n[auth.local]\njwt_secret = \"0123456789abcdef0123456789abcdef\"\n[auth.refresh]\nreuse_grace_seconds = 61\n";
    common::assert_violation(
        common::load_toml(&common::bare(), toml, &[]),
        Rule::InvalidValue,
        "61 is larger than 60",
    );
    let fine = toml.replace("61", "60");
    let loaded = common::load_toml(&common::bare(), &fine, &[]).expect("60 is accepted");
    assert_eq!(
        loaded.config.effective_auth().refresh.reuse_grace_seconds,
        60
    );
}
