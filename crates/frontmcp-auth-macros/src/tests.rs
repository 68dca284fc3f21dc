//! The seeds' configuration snippets, written as attributes: each is accepted, and the same
//! snippet with one broken value is rejected with the expected rule and message.

use frontmcp_auth_config::{Checked, Rule, check};
use proc_macro2::TokenStream;
use quote::quote;

use crate::parse::parse;

fn checked(tokens: TokenStream) -> Checked {
    let mut parsed = match parse(tokens) {
        Ok(parsed) => parsed,
        Err(err) => panic!("syntax error: {err}"),
    };
    crate::check::add_info_defaults(&mut parsed, "Server");
    check(&parsed.root)
}

struct Snippet {
    name: &'static str,
    good: TokenStream,
    broken: TokenStream,
    rule: Rule,
    message: &'static str,
}

/// Every snippet of seeds 000, 001, 002 and 004, as an attribute. Fragments of a local-mode
/// `auth` (the seeds show only the changed keys) sit inside `mode = "orchestrated", type = "local"`.
fn snippets() -> Vec<Snippet> {
    vec![
        Snippet {
            name: "000 persistent token storage",
            good: quote!(auth(mode = "orchestrated", type = "local", token_storage(type = "redis", config(host = env("REDIS_HOST"), port = env("REDIS_PORT", default = 6379), tls = true)))),
            broken: quote!(auth(mode = "orchestrated", type = "local", token_storage(type = "redis", config(port = 6379, tls = true)))),
            rule: Rule::RedisHostRequired,
            message: "redis token storage needs a `host`",
        },
        Snippet {
            name: "000 persistent signing keys",
            good: quote!(auth(mode = "orchestrated", type = "local", local(sign_key = env("JWT_SIGNING_KEY")))),
            broken: quote!(auth(mode = "orchestrated", type = "local", local(sign_key = r#"{"kty":"RSA","kid":"prod-key-1","n":"x","e":"AQAB"}"#))),
            rule: Rule::SignKeyInvalid,
            message: "the RSA key lacks `d`",
        },
        Snippet {
            name: "000 token lifetimes",
            good: quote!(auth(
                mode = "local",
                refresh(
                    access_token_ttl = 900,
                    refresh_token_ttl = 604800,
                    rotate_refresh_token = true
                )
            )),
            broken: quote!(auth(
                mode = "local",
                refresh(
                    access_token_ttl = 604800,
                    refresh_token_ttl = 900,
                    rotate_refresh_token = true
                )
            )),
            rule: Rule::AccessTtlNotBelowRefreshTtl,
            message: "access_token_ttl (604800 s) must be less than refresh_token_ttl (900 s)",
        },
        Snippet {
            name: "000 expected audience",
            good: quote!(auth(
                mode = "transparent",
                provider = env("IDP_PROVIDER_URL"),
                expected_audience = "https://api.yourservice.com"
            )),
            broken: quote!(auth(
                mode = "transparent",
                provider = env("IDP_PROVIDER_URL")
            )),
            rule: Rule::ExpectedAudienceRequired,
            message: "transparent mode needs `expected_audience`",
        },
        Snippet {
            name: "000 minimum production configuration",
            good: quote!(
                info(name = "ProductionServer", version = "1.0.0"),
                auth(
                    mode = "orchestrated",
                    type = "local",
                    session_mode = "stateful",
                    token_storage(type = "redis", config(host = env("REDIS_HOST"), port = env("REDIS_PORT", default = 6379), tls = true, key_prefix = "auth:")),
                    local(sign_key = env("JWT_SIGNING_KEY")),
                    refresh(enabled = true, skew_seconds = 60),
                    consent(enabled = true),
                )
            ),
            broken: quote!(
                info(name = "ProductionServer", version = "1.0.0"),
                auth(
                    mode = "orchestrated",
                    type = "local",
                    session_mode = "statefull",
                    token_storage(type = "redis", config(host = env("REDIS_HOST"), tls = true, key_prefix = "auth:")),
                    local(sign_key = env("JWT_SIGNING_KEY")),
                    refresh(enabled = true, skew_seconds = 60),
                    consent(enabled = true),
                )
            ),
            rule: Rule::InvalidValue,
            message: "`statefull` is not one of `stateful` or `stateless`",
        },
        Snippet {
            name: "000 key rotation",
            good: quote!(auth(
                mode = "local",
                local(
                    sign_key = env("JWT_SIGNING_KEY"),
                    key_rotation_days = 30,
                    max_keys = 3
                )
            )),
            broken: quote!(auth(
                mode = "local",
                local(
                    sign_key = env("JWT_SIGNING_KEY"),
                    key_rotation_days = 30,
                    max_keys = 0
                )
            )),
            rule: Rule::MaxKeysBelowOne,
            message: "`max_keys` must be at least 1",
        },
        Snippet {
            name: "000 secure redis connection",
            good: quote!(auth(mode = "local", token_storage(type = "redis", config(host = "redis.example.com", port = 6379, password = env("REDIS_PASSWORD"), tls = true, key_prefix = "frontmcp:auth:")))),
            broken: quote!(auth(mode = "local", token_storage(type = "redis", config(host = "redis.example.com", port = 65536, password = env("REDIS_PASSWORD"), tls = true, key_prefix = "frontmcp:auth:")))),
            rule: Rule::InvalidValue,
            message: "65536 is larger than 65535",
        },
        Snippet {
            name: "000 logging configuration",
            good: quote!(
                info(name = "Server", version = "1.0.0"),
                logging(
                    level = LogLevel::INFO,
                    redact = ["access_token", "refresh_token", "client_secret"]
                )
            ),
            broken: quote!(
                info(name = "Server", version = "1.0.0"),
                logging(
                    level = LogLevel::LOUD,
                    redact = ["access_token", "refresh_token", "client_secret"]
                )
            ),
            rule: Rule::InvalidValue,
            message: "`LOUD` is not one of",
        },
        Snippet {
            name: "000 disable insecure options",
            good: quote!(auth(mode = "orchestrated", type = "local", allow_default_public = false, dcr_enabled = false)),
            broken: quote!(auth(mode = "orchestrated", type = "local", allow_default_public = "no", dcr_enabled = false)),
            rule: Rule::WrongType,
            message: "expected a boolean, found a string",
        },
        Snippet {
            name: "000 single instance",
            good: quote!(auth(mode = "local", token_storage(type = "memory"))),
            broken: quote!(auth(mode = "local", token_storage(type = "memroy"))),
            rule: Rule::InvalidValue,
            message: "`memroy` is not one of `memory`, `sqlite` or `redis`",
        },
        Snippet {
            name: "000 multi-instance",
            good: quote!(auth(mode = "local", session_mode = "stateful", token_storage(type = "redis", config(host = env("REDIS_HOST"), port = env("REDIS_PORT", default = 6379))))),
            broken: quote!(auth(mode = "public", session_mode = "stateful", token_storage(type = "redis", config(host = env("REDIS_HOST"))))),
            rule: Rule::OptionOutsideMode,
            message: "`session_mode` applies to local and remote mode",
        },
        Snippet {
            name: "000 stateless",
            good: quote!(auth(
                mode = "local",
                session_mode = "stateless",
                local(sign_key = env("JWT_SIGNING_KEY"))
            )),
            broken: quote!(auth(
                mode = "local",
                session_mode = "stateless",
                local(sign_key = 42)
            )),
            rule: Rule::WrongType,
            message: "expected a JSON object or a table, found an integer",
        },
        Snippet {
            name: "001 server-level auth",
            good: quote!(info(name = "MyServer", version = "1.0.0"), apps(BillingApp, AnalyticsApp), auth(mode = "orchestrated", type = "local", consent(enabled = true))),
            broken: quote!(info(name = "MyServer", version = "1.0.0"), apps(BillingApp, AnalyticsApp), split_by_app = true, auth(mode = "orchestrated", type = "local", consent(enabled = true))),
            rule: Rule::AuthWithSplitByApp,
            message: "server-level `auth` is not allowed with `split_by_app = true`",
        },
        Snippet {
            name: "001 session management",
            good: quote!(auth(mode = "orchestrated", type = "local", session_mode = "stateful", token_storage(type = "redis", config(host = "localhost", port = 6379)))),
            broken: quote!(auth(mode = "orchestrated", type = "local", session_mode = "stateful", token_storage(type = "redis", config(host = "localhost", port = "6379")))),
            rule: Rule::WrongType,
            message: "expected a whole number, found a string",
        },
        Snippet {
            name: "002 local configuration options",
            good: quote!(auth(mode = "local", consent(enabled = false), session_mode = "stateful", token_storage(type = "memory"), allow_default_public = false, anonymous_scopes = ["anonymous"], incremental_auth(enabled = true))),
            broken: quote!(auth(mode = "local", consent(enabled = false), session_mode = "stateful", token_storage(type = "memory"), allow_default_public = false, anonymous_scopes = "anonymous", incremental_auth(enabled = true))),
            rule: Rule::WrongType,
            message: "expected a list of strings, found a string",
        },
        Snippet {
            name: "002 per-app configuration",
            good: quote!(
                split_by_app = true,
                apps(
                    BillingApp(auth(mode = "local")),
                    AnalyticsApp(auth(mode = "local"))
                )
            ),
            broken: quote!(
                split_by_app = true,
                apps(BillingApp(auth(mode = "local")), AnalyticsApp)
            ),
            rule: Rule::SplitByAppAppWithoutAuth,
            message: "app `analytics_app` has no `auth`",
        },
        Snippet {
            name: "004 public mode options",
            good: quote!(auth(
                mode = "public",
                session_ttl = 3600,
                anonymous_scopes = ["anonymous"],
                public_access(tools = "all", prompts = ["greeting"], rate_limit = 60)
            )),
            broken: quote!(auth(
                mode = "public",
                session_ttl = 3600,
                anonymous_scopes = ["anonymous"],
                public_access(tools = "some", prompts = ["greeting"], rate_limit = 60)
            )),
            rule: Rule::InvalidValue,
            message: "expected \"all\" or a list of names",
        },
        Snippet {
            name: "004 transparent mode options",
            good: quote!(auth(
                mode = "transparent",
                provider = "https://tenant.auth0.com",
                provider_config(jwks_uri = "https://tenant.auth0.com/.well-known/jwks.json"),
                expected_audience = ["https://api.example.com", "mcp"],
                required_scopes = ["mcp:read"],
                allow_anonymous = false
            )),
            broken: quote!(auth(
                mode = "transparent",
                provider = "https://tenant.auth0.com",
                provider_config(jwks_uri = "tenant.auth0.com/jwks"),
                expected_audience = ["https://api.example.com", "mcp"],
                required_scopes = ["mcp:read"],
                allow_anonymous = false
            )),
            rule: Rule::InvalidUrl,
            message: "`tenant.auth0.com/jwks` is not a valid URL",
        },
        Snippet {
            name: "004 local mode federated providers",
            good: quote!(auth(
                mode = "local",
                providers(
                    github(
                        name = "GitHub",
                        authorization_endpoint = "https://github.com/login/oauth/authorize",
                        token_endpoint = "https://github.com/login/oauth/access_token",
                        client_id = "gh",
                        client_secret = env("GITHUB_CLIENT_SECRET"),
                        scopes = ["repo"]
                    ),
                    slack(
                        name = "Slack",
                        authorization_endpoint = "https://slack.com/oauth/v2/authorize",
                        token_endpoint = "https://slack.com/api/oauth.v2.access",
                        client_id = "sl"
                    ),
                ),
                federated_auth(
                    state_validation = "strict",
                    min_providers = 1,
                    required_providers = ["github"]
                ),
            )),
            broken: quote!(auth(
                mode = "local",
                providers(
                    github(
                        name = "GitHub",
                        authorization_endpoint = "https://github.com/login/oauth/authorize",
                        token_endpoint = "https://github.com/login/oauth/access_token",
                        client_id = "gh",
                        client_secret = env("GITHUB_CLIENT_SECRET"),
                        scopes = ["repo"]
                    ),
                    slack(
                        name = "Slack",
                        authorization_endpoint = "https://slack.com/oauth/v2/authorize",
                        token_endpoint = "https://slack.com/api/oauth.v2.access",
                        client_id = "sl"
                    ),
                ),
                federated_auth(
                    state_validation = "strict",
                    min_providers = 1,
                    required_providers = ["jira"]
                ),
            )),
            rule: Rule::RequiredProviderUnknown,
            message: "required provider `jira` is not configured",
        },
        Snippet {
            name: "004 remote mode options",
            good: quote!(auth(
                mode = "remote",
                provider = env("IDP_PROVIDER_URL"),
                client_id = env("IDP_CLIENT_ID"),
                client_secret = env("IDP_CLIENT_SECRET"),
                consent(enabled = true),
                token_storage(sqlite(path = "auth.db")),
                allow_default_public = false,
                federated_auth(state_validation = "format"),
                incremental_auth(enabled = true, skipped_app_behavior = "require-auth")
            )),
            broken: quote!(auth(
                mode = "remote",
                provider = env("IDP_PROVIDER_URL"),
                client_id = env("IDP_CLIENT_ID"),
                client_secret = env("IDP_CLIENT_SECRET"),
                consent(enabled = true),
                token_storage(sqlite(path = "auth.db")),
                allow_default_public = false,
                federated_auth(state_validation = "loose"),
                incremental_auth(enabled = true, skipped_app_behavior = "require-auth")
            )),
            rule: Rule::InvalidValue,
            message: "`loose` is not one of `strict` or `format`",
        },
        Snippet {
            name: "004 remote storage shorthand",
            good: quote!(auth(
                mode = "remote",
                provider = "https://auth.example.com",
                client_id = "frontmcp",
                token_storage = "memory"
            )),
            broken: quote!(auth(
                mode = "remote",
                provider = "https://auth.example.com",
                client_id = "frontmcp",
                token_storage = "postgres"
            )),
            rule: Rule::InvalidValue,
            message: "`postgres` is not one of `memory`, `sqlite` or `redis`",
        },
    ]
}

#[test]
fn every_seed_snippet_is_accepted_and_its_broken_twin_rejected() {
    for snippet in snippets() {
        let good = checked(snippet.good);
        assert!(
            good.is_ok(),
            "{}: expected no violations, got {:#?}",
            snippet.name,
            good.violations
        );
        let broken = checked(snippet.broken);
        let hit = broken
            .violations
            .iter()
            .find(|v| v.rule == snippet.rule && v.message.contains(snippet.message));
        assert!(
            hit.is_some(),
            "{}: expected {} with {:?}, got {:#?}",
            snippet.name,
            snippet.rule,
            snippet.message,
            broken.violations
        );
    }
}

#[test]
fn env_values_are_deferred_not_checked_at_compile_time() {
    let result = checked(quote!(auth(
        mode = "local",
        local(jwt_secret = env("JWT_SECRET"))
    )));
    assert!(result.is_ok(), "{:#?}", result.violations);
    let path = frontmcp_auth_config::KeyPath::parse("auth.local.jwt_secret");
    assert!(result.index.is_deferred(&path));
}

#[test]
fn env_defaults_are_checked_like_literals() {
    let result = checked(quote!(auth(
        mode = "local",
        local(jwt_secret = env("JWT_SECRET", default = "too-short"))
    )));
    assert_eq!(result.violations.len(), 1, "{:#?}", result.violations);
    assert_eq!(result.violations[0].rule, Rule::Hs256SecretTooShort);
}

#[test]
fn apps_become_a_table_keyed_by_snake_case_id() {
    let parsed = parse(quote!(apps(
        BillingApp,
        crate::analytics::AnalyticsApp(id = "analytics")
    )))
    .expect("parses");
    let ids: Vec<&str> = parsed.apps.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["billing_app", "analytics"]);
    let json = parsed.root.to_json();
    assert_eq!(
        json["apps"],
        serde_json::json!({"billing_app": {}, "analytics": {}})
    );
}

#[test]
fn app_ids_must_be_path_safe() {
    let err = parse(quote!(apps(BillingApp(id = "Billing App"))))
        .err()
        .expect("rejected");
    assert!(err.to_string().contains("lower-case letters"), "{err}");
}

#[test]
fn info_defaults_to_the_struct_name_and_crate_version() {
    let mut parsed = parse(quote!(auth(mode = "public"))).expect("parses");
    crate::check::add_info_defaults(&mut parsed, "MyServer");
    let json = parsed.root.to_json();
    assert_eq!(json["info"]["name"], "MyServer");
    assert_eq!(json["info"]["version"], env!("CARGO_PKG_VERSION"));
}

#[test]
fn syntax_errors_name_what_was_expected() {
    let err = parse(quote!(auth(mode = ))).err().expect("rejected");
    assert!(err.to_string().contains("expected a value"), "{err}");
    let err = parse(quote!(auth(mode = "local" consent)))
        .err()
        .expect("rejected");
    assert!(err.to_string().contains("expected `,`"), "{err}");
}
