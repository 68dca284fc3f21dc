//! The production profile: start-up refuses each insecure setting of the checklist, listing
//! every one; `check --production` prints pass / fail per item.

mod common;

use std::process::Command;

use common::{bare, load_toml};
use frontmcp_auth_config::Rule;

const KEY: &str = "0123456789abcdef0123456789abcdef-prod";
const ADMIN: &str = "admin-credential-0123456789abcdef-xyz";

/// A configuration that passes every required item.
fn good_toml() -> String {
    format!(
        r#"
[http]
public_url = "https://mcp.example.com"

[auth]
mode = "local"
local = {{ jwt_secret = "{KEY}" }}
token_storage = {{ sqlite = {{ path = "auth.db" }} }}
consent = {{ enabled = true }}
login = {{ authenticator = "password" }}

[security]
max_concurrent_sessions = 5
allowed_email_domains = ["example.com"]
admin_token = "{ADMIN}"
"#
    )
}

fn rules_of(toml: &str, env: &[(&str, &str)]) -> Vec<Rule> {
    match load_toml(&bare(), toml, env) {
        Ok(_) => Vec::new(),
        Err(e) => e.problems().iter().map(|p| p.violation.rule).collect(),
    }
}

fn production(toml: &str) -> Vec<Rule> {
    rules_of(toml, &[("FRONTMCP_ENV", "production")])
}

#[test]
fn the_good_configuration_passes_under_the_production_profile() {
    assert_eq!(production(&good_toml()), Vec::<Rule>::new());
}

#[test]
fn a_plain_http_public_url_is_refused_but_loopback_is_not() {
    let http = good_toml().replace("https://mcp.example.com", "http://mcp.example.com");
    assert_eq!(production(&http), [Rule::ProductionInsecureUrl]);
    assert_eq!(
        rules_of(&http, &[]),
        Vec::<Rule>::new(),
        "development allows it"
    );
    let loopback = good_toml().replace("https://mcp.example.com", "http://127.0.0.1:3000");
    assert_eq!(production(&loopback), Vec::<Rule>::new());
    let missing = good_toml().replace("public_url = \"https://mcp.example.com\"", "");
    assert_eq!(production(&missing), [Rule::ProductionInsecureUrl]);
}

#[test]
fn generated_signing_keys_are_refused() {
    let generated = good_toml().replace(&format!("local = {{ jwt_secret = \"{KEY}\" }}"), "");
    assert_eq!(production(&generated), [Rule::ProductionGeneratedKeys]);
}

#[test]
fn a_short_jwt_secret_is_refused() {
    let toml = good_toml().replace(&format!("jwt_secret = \"{KEY}\""), "jwt_secret = \"short\"");
    assert!(production(&toml).contains(&Rule::Hs256SecretTooShort));
    let env = [
        ("FRONTMCP_ENV", "production"),
        ("JWT_SECRET", "only-twenty-bytes-xx"),
    ];
    let no_file_key = good_toml().replace(&format!("local = {{ jwt_secret = \"{KEY}\" }}"), "");
    assert_eq!(rules_of(&no_file_key, &env), [Rule::Hs256SecretTooShort]);
}

#[test]
fn memory_storage_needs_the_single_instance_acknowledgement() {
    let memory = good_toml().replace(
        "token_storage = { sqlite = { path = \"auth.db\" } }",
        "token_storage = \"memory\"",
    );
    assert_eq!(production(&memory), [Rule::ProductionMemoryStorage]);
    let acknowledged = format!("{memory}single_instance = true\n");
    assert_eq!(production(&acknowledged), Vec::<Rule>::new());
}

#[test]
fn open_registration_is_refused_and_restricted_registration_is_not() {
    let open = good_toml().replace(
        "consent = { enabled = true }",
        "consent = { enabled = true }\ndcr = { enabled = true }",
    );
    assert_eq!(production(&open), [Rule::ProductionOpenRegistration]);
    let allowlist = good_toml().replace(
        "consent = { enabled = true }",
        "consent = { enabled = true }\ndcr = { enabled = true, allowed_redirect_uris = [\"https://app.example.com/cb\"] }",
    );
    assert_eq!(production(&allowlist), Vec::<Rule>::new());
    let token = good_toml().replace(
        "consent = { enabled = true }",
        "consent = { enabled = true }\ndcr = { enabled = true, initial_access_token = \"registration-credential\" }",
    );
    assert_eq!(production(&token), Vec::<Rule>::new());
}

#[test]
fn allow_default_public_is_refused() {
    let toml = good_toml().replace(
        "consent = { enabled = true }",
        "consent = { enabled = true }\nallow_default_public = true",
    );
    assert_eq!(production(&toml), [Rule::ProductionDefaultPublic]);
}

#[test]
fn production_refuses_the_demo_login() {
    let demo = good_toml().replace("login = { authenticator = \"password\" }", "");
    assert_eq!(production(&demo), [Rule::ProductionDemoLogin]);
    let named = good_toml().replace("\"password\"", "\"demo\"");
    assert_eq!(production(&named), [Rule::ProductionDemoLogin]);
    assert_eq!(
        rules_of(&demo, &[]),
        Vec::<Rule>::new(),
        "development allows it"
    );
    let custom = good_toml().replace("\"password\"", "\"custom\"");
    assert_eq!(production(&custom), Vec::<Rule>::new());
    // An authenticator set in code counts: the builder records it for the rulebook.
    let definition = bare().authenticator(frontmcp_auth::login::DemoLogin {
        require_email: true,
        anonymous_subject: None,
    });
    let loaded = load_toml(&definition, &demo, &[("FRONTMCP_ENV", "production")]);
    assert!(loaded.is_ok(), "{:?}", loaded.err().map(|e| e.to_string()));
}

#[test]
fn transparent_mode_must_check_the_audience() {
    let base = r#"
[http]
public_url = "https://mcp.example.com"
[auth]
mode = "transparent"
provider = "https://idp.example.com"
"#;
    assert_eq!(production(base), [Rule::ExpectedAudienceRequired]);
    let unchecked = format!(
        "{base}expected_audience = \"https://mcp.example.com/mcp\"\nrequire_audience = false\n"
    );
    assert_eq!(production(&unchecked), [Rule::ProductionAudienceUnchecked]);
}

#[test]
fn every_violation_is_listed_at_once_naming_the_profile_as_the_reason() {
    let bad = r#"
[http]
public_url = "http://mcp.example.com"
[auth]
mode = "local"
allow_default_public = true
dcr = { enabled = true }
"#;
    let error = load_toml(&bare(), bad, &[("FRONTMCP_ENV", "production")]).expect_err("refused");
    let text = error.to_string();
    for expected in [
        "has 6 problems",
        "[production_demo_login]",
        "[production_insecure_url]",
        "[production_generated_keys]",
        "[production_memory_storage]",
        "[production_open_registration]",
        "[production_default_public]",
        "because of: `security.profile` from env FRONTMCP_ENV",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[test]
fn the_profile_can_be_set_in_the_file_and_production_turns_registration_and_limits_on_by_default() {
    let toml = format!("{}profile = \"production\"\n", good_toml());
    let loaded = load_toml(&bare(), &toml, &[]).expect("valid");
    assert!(loaded.config.security.is_production());
    assert!(loaded.config.security.rate_limits_on());
    let dev = load_toml(&bare(), &good_toml(), &[]).expect("valid");
    assert!(!dev.config.security.rate_limits_on());
}

fn check(dir: &std::path::Path, env: &[(&str, &str)]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_frontmcp-auth"))
        .args(["check", "--production"])
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .expect("runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn check_production_passes_a_good_configuration() {
    let (dir, _) = common::write_file("frontmcp.toml", &good_toml());
    let (code, out) = check(dir.path(), &[]);
    assert_eq!(code, 0, "{out}");
    for expected in [
        "[pass] HTTPS only",
        "[pass] Persistent token storage",
        "[pass] Stable signing keys",
        "[pass] Client registration restricted",
        "[pass] Rate limiting: on: token 60/60 s per IP",
        "mcp 600/60 s per IP and per subject, userinfo 120/60 s per IP and per subject",
        "[pass] Session limits",
        "[pass] State parameter required",
        "[pass] Verified sign-in",
        "[pass] Key rotation: configured key, rotated by you",
        "ready for production",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    assert!(!out.contains(KEY) && !out.contains(ADMIN), "{out}");
}

#[test]
fn check_production_fails_a_bad_configuration_item_by_item() {
    let (dir, _) = common::write_file(
        "frontmcp.toml",
        "[auth]\nmode = \"local\"\nallow_default_public = true\n[security]\nrate_limits = { enabled = false }\nrequire_state = false\n",
    );
    let (code, out) = check(dir.path(), &[("JWT_SECRET", "too-short")]);
    assert_eq!(code, 1, "{out}");
    for expected in [
        "[FAIL] HTTPS only",
        "[FAIL] Persistent token storage",
        "[FAIL] Strong JWT secret",
        "[FAIL] No anonymous access",
        "[FAIL] Rate limiting",
        "[pass] PKCE enforced",
        "[pass] Refresh token rotation",
        "[warn] Consent UI",
        "[warn] State parameter required",
        "[FAIL] Verified sign-in",
        "NOT ready for production",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    assert!(!out.contains("too-short"), "{out}");
}
