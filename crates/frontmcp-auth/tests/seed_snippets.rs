//! The seeds' configuration snippets in file form, with the seeds' camelCase keys as a
//! FrontMCP user would paste them: each is accepted, and the same snippet with one broken value
//! is rejected with the expected message. (The attribute forms are tested in the macro crate.)

mod common;

use common::{assert_violation, bare, load_file, load_toml};
use frontmcp_auth::ServerDefinition;
use frontmcp_auth::rules::{AuthMode, Rule, SessionMode, TokenStorage};

const EC_JWK: &str = r#"{"kty":"EC","crv":"P-256","kid":"prod-key-1","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}"#;

#[test]
fn persistent_token_storage_reads_redis_from_the_seed_variables() {
    let toml = r#"
        [auth]
        mode = "orchestrated"
        type = "local"
        [auth.tokenStorage]
        type = "redis"
        [auth.tokenStorage.config]
        tls = true
    "#;
    let env = [
        ("REDIS_HOST", "redis.internal"),
        ("REDIS_PORT", "6380"),
        ("REDIS_PASSWORD", "0123456789"),
    ];
    let loaded = load_toml(&bare(), toml, &env).expect("valid");
    let auth = loaded.config.effective_auth();
    assert_eq!(auth.mode, AuthMode::Local);
    let TokenStorage::Redis(redis) = &auth.token_storage else {
        panic!("expected redis, got {:?}", auth.token_storage);
    };
    assert_eq!(
        (redis.host.as_str(), redis.port, redis.tls),
        ("redis.internal", 6380, true)
    );
    assert_eq!(
        redis.password.as_ref().map(|p| p.expose()),
        Some("0123456789")
    );

    let without_host = [("REDIS_PORT", "6380")];
    assert_violation(
        load_toml(&bare(), toml, &without_host),
        Rule::RedisHostRequired,
        "needs a `host`",
    );
}

#[test]
fn persistent_signing_keys_come_from_jwt_signing_key() {
    let toml = "[auth]\nmode = \"orchestrated\"\ntype = \"local\"\n";
    let loaded = load_toml(&bare(), toml, &[("JWT_SIGNING_KEY", EC_JWK)]).expect("valid");
    let key = loaded
        .config
        .effective_auth()
        .local
        .sign_key
        .expect("sign key");
    assert_eq!(key.member("kid"), Some("prod-key-1"));

    let public_only = r#"{"kty":"RSA","kid":"prod-key-1","n":"0vx7","e":"AQAB"}"#;
    let text = assert_violation(
        load_toml(&bare(), toml, &[("JWT_SIGNING_KEY", public_only)]),
        Rule::SignKeyInvalid,
        "lacks `d`",
    );
    assert!(text.contains("env JWT_SIGNING_KEY"), "{text}");
}

#[test]
fn token_lifetimes() {
    let toml = r#"
        [auth]
        mode = "local"
        [auth.refresh]
        accessTokenTtl = 900
        refreshTokenTtl = 604800
        rotateRefreshToken = true
    "#;
    let refresh = load_toml(&bare(), toml, &[])
        .expect("valid")
        .config
        .effective_auth()
        .refresh;
    assert_eq!(
        (refresh.access_token_ttl, refresh.refresh_token_ttl),
        (900, 604_800)
    );
    let broken = toml.replace("rotateRefreshToken = true", "rotateRefreshToken = false");
    assert_violation(
        load_toml(&bare(), &broken, &[]),
        Rule::RefreshRotationRequired,
        "always rotated",
    );
}

#[test]
fn expected_audience_in_transparent_mode() {
    let toml =
        "[auth]\nmode = \"transparent\"\nexpectedAudience = \"https://api.yourservice.com\"\n";
    let env = [("IDP_PROVIDER_URL", "https://auth.example.com")];
    let auth = load_toml(&bare(), toml, &env)
        .expect("valid")
        .config
        .effective_auth();
    assert_eq!(auth.expected_audience, ["https://api.yourservice.com"]);
    assert_eq!(auth.provider.as_deref(), Some("https://auth.example.com"));

    let broken = "[auth]\nmode = \"transparent\"\n";
    assert_violation(
        load_toml(&bare(), broken, &env),
        Rule::ExpectedAudienceRequired,
        "needs `expected_audience`",
    );
    let from_env = [
        ("IDP_PROVIDER_URL", "https://auth.example.com"),
        ("IDP_EXPECTED_AUDIENCE", "https://api.yourservice.com"),
    ];
    assert!(load_toml(&bare(), broken, &from_env).is_ok());
}

const PRODUCTION_JSON: &str = r#"{
  "info": { "name": "ProductionServer", "version": "1.0.0" },
  "auth": {
    "mode": "orchestrated",
    "type": "local",
    "sessionMode": "stateful",
    "tokenStorage": {
      "type": "redis",
      "config": { "tls": true, "keyPrefix": "auth:" }
    },
    "refresh": { "enabled": true, "skewSeconds": 60 },
    "consent": { "enabled": true }
  }
}"#;

#[test]
fn minimum_production_configuration_as_pasted_json() {
    let env = [
        ("REDIS_HOST", "redis.example.com"),
        ("REDIS_PORT", "6379"),
        ("REDIS_PASSWORD", "pw"),
        ("JWT_SIGNING_KEY", EC_JWK),
    ];
    let loaded = load_file(&bare(), "frontmcp.json", PRODUCTION_JSON, &env).expect("valid");
    let auth = loaded.config.effective_auth();
    assert_eq!(loaded.config.info.name, "ProductionServer");
    assert_eq!(auth.session_mode, SessionMode::Stateful);
    assert!(auth.consent.enabled);
    assert_eq!(auth.refresh.skew_seconds, 60);
    let TokenStorage::Redis(redis) = &auth.token_storage else {
        panic!("expected redis");
    };
    assert_eq!(redis.key_prefix, "auth:");

    let broken = PRODUCTION_JSON.replace("\"keyPrefix\": \"auth:\"", "\"keyPrefix\": 5");
    assert_violation(
        load_file(&bare(), "frontmcp.json", &broken, &env),
        Rule::WrongType,
        "expected a string, found an integer",
    );
}

#[test]
fn logging_configuration() {
    let toml = "[logging]\nlevel = \"INFO\"\nredact = [\"access_token\", \"refresh_token\", \"client_secret\"]\n";
    let logging = load_toml(&bare(), toml, &[]).expect("valid").config.logging;
    assert_eq!(logging.redact.len(), 3);
    let broken = toml.replace(
        "redact = [\"access_token\", \"refresh_token\", \"client_secret\"]",
        "redact = \"access_token\"",
    );
    assert_violation(
        load_toml(&bare(), &broken, &[]),
        Rule::WrongType,
        "expected a list of strings",
    );
}

#[test]
fn disable_insecure_options() {
    let toml = "[auth]\nmode = \"orchestrated\"\ntype = \"local\"\nallowDefaultPublic = false\ndcrEnabled = false\n";
    let auth = load_toml(&bare(), toml, &[])
        .expect("valid")
        .config
        .effective_auth();
    assert_eq!(auth.dcr.enabled, Some(false));
    assert!(!auth.allow_default_public);
    let broken = format!("{toml}[auth.dcr]\nenabled = true\n");
    assert_violation(
        load_toml(&bare(), &broken, &[]),
        Rule::ConflictingKeys,
        "`dcr_enabled` and `dcr.enabled` disagree",
    );
}

#[test]
fn single_instance_memory_storage() {
    let toml = "[auth]\nmode = \"local\"\ntokenStorage = { type = \"memory\" }\n";
    let auth = load_toml(&bare(), toml, &[])
        .expect("valid")
        .config
        .effective_auth();
    assert_eq!(auth.token_storage, TokenStorage::Memory);
    let broken = "[auth]\nmode = \"local\"\ntokenStorage = { type = \"memory\", config = { path = \"x.db\" } }\n";
    assert_violation(
        load_toml(&bare(), broken, &[]),
        Rule::UnknownKey,
        "unknown key `path`",
    );
}

#[test]
fn multi_instance_redis() {
    let toml = "[auth]\nmode = \"local\"\nsessionMode = \"stateful\"\n[auth.tokenStorage.redis]\nport = 6379\n";
    let env = [("REDIS_HOST", "10.0.0.5"), ("REDIS_PASSWORD", "secret")];
    assert!(load_toml(&bare(), toml, &env).is_ok());
    let broken = toml.replace("stateful", "sticky");
    assert_violation(
        load_toml(&bare(), &broken, &env),
        Rule::InvalidValue,
        "`sticky` is not one of `stateful` or `stateless`",
    );
}

#[test]
fn stateless_sessions() {
    let toml = "[auth]\nmode = \"local\"\nsessionMode = \"stateless\"\n";
    let auth = load_toml(&bare(), toml, &[("JWT_SIGNING_KEY", EC_JWK)])
        .expect("valid")
        .config
        .effective_auth();
    assert_eq!(auth.session_mode, SessionMode::Stateless);
    assert_violation(
        load_toml(&bare(), toml, &[("JWT_SIGNING_KEY", "{not json")]),
        Rule::InvalidValue,
        "not valid JSON",
    );
}

#[test]
fn key_rotation() {
    let toml = "[auth]\nmode = \"local\"\n[auth.local]\nkeyRotationDays = 30\nmaxKeys = 3\n";
    // Generated keys rotate.
    let local = load_toml(&bare(), toml, &[])
        .expect("valid")
        .config
        .effective_auth()
        .local;
    assert_eq!((local.key_rotation_days, local.max_keys), (Some(30), 3));
    // Beside a configured key the option would do nothing: refused, saying how to rotate it.
    assert_violation(
        load_toml(&bare(), toml, &[("JWT_SIGNING_KEY", EC_JWK)]),
        Rule::KeyRotationConfigured,
        "beside a configured signing key it would do nothing",
    );
    let broken = toml.replace("keyRotationDays = 30", "keyRotationDays = 0");
    assert_violation(
        load_toml(&bare(), &broken, &[]),
        Rule::ZeroTtl,
        "`key_rotation_days` must be greater than zero",
    );
}

#[test]
fn secure_redis_connection() {
    let toml = r#"
        [auth]
        mode = "local"
        [auth.tokenStorage]
        type = "redis"
        [auth.tokenStorage.config]
        host = "redis.example.com"
        port = 6379
        tls = true
        keyPrefix = "frontmcp:auth:"
    "#;
    let loaded = load_toml(&bare(), toml, &[("REDIS_PASSWORD", "pw")]).expect("valid");
    let TokenStorage::Redis(redis) = loaded.config.effective_auth().token_storage else {
        panic!("expected redis");
    };
    assert_eq!(redis.key_prefix, "frontmcp:auth:");
    assert!(redis.password.is_some());
    let broken = toml.replace("port = 6379", "port = 70000");
    assert_violation(
        load_toml(&bare(), &broken, &[]),
        Rule::InvalidValue,
        "70000 is larger than 65535",
    );
}

fn two_apps() -> ServerDefinition {
    ServerDefinition::new("Server")
        .declare_app("billing_app", "BillingApp")
        .declare_app("analytics_app", "AnalyticsApp")
}

#[test]
fn server_level_auth_for_all_apps() {
    let toml =
        "[auth]\nmode = \"orchestrated\"\ntype = \"local\"\n[auth.consent]\nenabled = true\n";
    assert!(load_toml(&two_apps(), toml, &[]).is_ok());
    let broken = format!("splitByApp = true\n{toml}");
    assert_violation(
        load_toml(&two_apps(), &broken, &[]),
        Rule::AuthWithSplitByApp,
        "server-level `auth` is not allowed",
    );
}

#[test]
fn session_management_redis() {
    let toml = "[auth]\nmode = \"orchestrated\"\ntype = \"local\"\nsessionMode = \"stateful\"\n[auth.tokenStorage]\ntype = \"redis\"\nconfig = { host = \"localhost\", port = 6379 }\n";
    assert!(load_toml(&bare(), toml, &[]).is_ok());
    let broken = toml.replace("port = 6379", "port = \"6379\"");
    assert_violation(
        load_toml(&bare(), &broken, &[]),
        Rule::WrongType,
        "expected a whole number, found a string",
    );
}

#[test]
fn per_app_configuration() {
    let toml = "splitByApp = true\n[apps.billing_app.auth]\nmode = \"local\"\n[apps.analytics_app.auth]\nmode = \"public\"\n";
    let loaded = load_toml(&two_apps(), toml, &[]).expect("valid");
    assert!(loaded.config.apps.iter().all(|app| app.auth.is_some()));
    let broken = toml.replace("[apps.billing_app.auth]", "[apps.billing.auth]");
    let text = assert_violation(
        load_toml(&two_apps(), &broken, &[]),
        Rule::UnknownKey,
        "`billing` is not an app of this server",
    );
    assert!(text.contains("did you mean `billing_app`?"), "{text}");
}

#[test]
fn public_mode_options() {
    let toml = "[auth]\nmode = \"public\"\nsessionTtl = 3600\nanonymousScopes = [\"anonymous\"]\n[auth.publicAccess]\ntools = \"all\"\nprompts = [\"greeting\"]\nrateLimit = 60\n";
    let auth = load_toml(&bare(), toml, &[])
        .expect("valid")
        .config
        .effective_auth();
    assert_eq!(auth.public_access.rate_limit, 60);
    let broken = toml.replace("rateLimit = 60", "rateLimit = -5");
    assert_violation(
        load_toml(&bare(), &broken, &[]),
        Rule::InvalidValue,
        "-5 is negative",
    );
}

#[test]
fn transparent_mode_options() {
    let toml = r#"
        [auth]
        mode = "transparent"
        provider = "https://tenant.auth0.com"
        expectedAudience = ["https://api.example.com", "mcp"]
        requiredScopes = ["mcp:read"]
        allowAnonymous = false
        [auth.providerConfig]
        jwksUri = "https://tenant.auth0.com/.well-known/jwks.json"
        jwks = { keys = [] }
    "#;
    let auth = load_toml(&bare(), toml, &[])
        .expect("valid")
        .config
        .effective_auth();
    assert_eq!(auth.expected_audience.len(), 2);
    assert!(auth.provider_config.jwks.is_some());
    let broken = toml.replace("jwks = { keys = [] }", "jwks = \"not json\"");
    assert_violation(
        load_toml(&bare(), &broken, &[]),
        Rule::InvalidValue,
        "not valid JSON",
    );
}

#[test]
fn local_mode_federated_providers() {
    let toml = r#"
        [auth]
        mode = "local"
        [[auth.providers]]
        id = "github"
        name = "GitHub"
        authorizationEndpoint = "https://github.com/login/oauth/authorize"
        tokenEndpoint = "https://github.com/login/oauth/access_token"
        clientId = "gh"
        scopes = ["repo"]
        [[auth.providers]]
        id = "slack"
        authorizationEndpoint = "https://slack.com/oauth/v2/authorize"
        tokenEndpoint = "https://slack.com/api/oauth.v2.access"
        clientId = "sl"
        [auth.federatedAuth]
        stateValidation = "strict"
        minProviders = 1
        requiredProviders = ["github"]
    "#;
    let auth = load_toml(&bare(), toml, &[])
        .expect("valid")
        .config
        .effective_auth();
    assert_eq!(auth.providers.len(), 2);
    // Served: the router builds, with a callback route per provider.
    let loaded = load_toml(&bare(), toml, &[]).expect("valid");
    let _router = frontmcp_auth::http::build_router(
        &loaded,
        &bare(),
        frontmcp_auth::http::RouterOptions::default(),
    )
    .expect("federated providers are served");
    // Stateless sessions keep no provider tokens: refused, naming why.
    let stateless = toml.replace(
        "mode = \"local\"",
        "mode = \"local\"\n        sessionMode = \"stateless\"",
    );
    assert_violation(
        load_toml(&bare(), &stateless, &[]),
        Rule::FederatedProviderInvalid,
        "stateless sessions have none",
    );
    let broken = toml.replace("id = \"slack\"", "id = \"github\"");
    assert_violation(
        load_toml(&bare(), &broken, &[]),
        Rule::DuplicateProviderId,
        "two providers have the id `github`",
    );
}

#[test]
fn remote_mode_options_from_idp_variables() {
    let toml = "[auth]\nmode = \"remote\"\ntokenStorage = { sqlite = { path = \"auth.db\" } }\n[auth.incrementalAuth]\nskippedAppBehavior = \"require-auth\"\n";
    let env = [
        ("IDP_PROVIDER_URL", "https://auth.example.com"),
        ("IDP_CLIENT_ID", "0042"),
        ("IDP_CLIENT_SECRET", "000123"),
    ];
    let auth = load_toml(&bare(), toml, &env)
        .expect("valid")
        .config
        .effective_auth();
    assert_eq!(auth.client_id.as_deref(), Some("0042"));
    assert_eq!(
        auth.client_secret.as_ref().map(|s| s.expose()),
        Some("000123")
    );
    assert_violation(
        load_toml(&bare(), toml, &env[..1]),
        Rule::ClientIdRequired,
        "remote mode needs `client_id`",
    );
}
