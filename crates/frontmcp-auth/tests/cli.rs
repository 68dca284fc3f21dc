//! The `frontmcp-auth` command: `config check` and `config print`.

mod common;

use std::process::Command;

fn frontmcp_auth(
    dir: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_frontmcp-auth"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .expect("runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn check_accepts_a_valid_file_found_in_the_working_directory() {
    let (dir, _) = common::write_file("frontmcp.toml", "[auth]\nmode = \"local\"\n");
    let (code, out, err) = frontmcp_auth(
        dir.path(),
        &["config", "check"],
        &[("JWT_SECRET", "0123456789abcdef0123456789abcdef")],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("is valid"), "{out}");
}

#[test]
fn check_lists_every_violation_and_exits_non_zero() {
    let (dir, path) = common::write_file(
        "bad.toml",
        "[auth]\nmode = \"transparent\"\nconsent = { enabled = true }\n[http]\nprot = 8080\n",
    );
    let file = path.to_string_lossy().into_owned();
    let (code, _, err) = frontmcp_auth(dir.path(), &["config", "check", "--file", &file], &[]);
    assert_eq!(code, 1, "{err}");
    for expected in [
        "has 4 problems",
        "`http.prot`: unknown key `prot` [unknown_key]",
        "help: did you mean `port`?",
        "`auth.consent`: `consent` applies to local and remote mode",
        "[provider_required]",
        "[expected_audience_required]",
        &format!("set in: file {file}"),
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
}

#[test]
fn print_shows_each_value_with_its_source_and_redacts_secrets() {
    let (dir, _) = common::write_file(
        "frontmcp.toml",
        "[auth]\nmode = \"remote\"\nprovider = \"https://auth.example.com\"\n",
    );
    let env = [
        ("IDP_CLIENT_ID", "0042"),
        ("IDP_CLIENT_SECRET", "super-secret-value"),
        ("FRONTMCP_HTTP__PORT", "9000"),
    ];
    let (code, out, err) = frontmcp_auth(dir.path(), &["config", "print"], &env);
    assert_eq!(code, 0, "{err}");
    for expected in [
        "auth.provider = \"https://auth.example.com\"",
        "# file frontmcp.toml",
        "auth.client_id = \"0042\"",
        "# env IDP_CLIENT_ID",
        "auth.client_secret = \"[redacted]\"",
        "http.port = 9000",
        "# env FRONTMCP_HTTP__PORT",
        "auth.session_mode = \"stateful\"",
        "# default",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    assert!(!out.contains("super-secret-value"), "{out}");
    assert!(
        !out.contains("auth.expected_audience"),
        "transparent-only keys are not printed in remote mode:\n{out}"
    );
}

#[test]
fn serve_belongs_to_the_server_binary() {
    let dir = tempfile::tempdir().expect("dir");
    let (code, _, err) = frontmcp_auth(dir.path(), &["serve"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("runs from your server's own binary"), "{err}");
}

#[test]
fn keygen_prints_private_jwks_the_configuration_accepts() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("frontmcp.toml"),
        "[auth]\nmode = \"local\"\n",
    )
    .expect("write");
    for alg in ["ES256", "RS256"] {
        let (code, out, err) = frontmcp_auth(dir.path(), &["keygen", "--alg", alg], &[]);
        assert_eq!(code, 0, "{err}");
        let jwk: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON object");
        assert_eq!(jwk["alg"], alg);
        assert!(jwk["d"].is_string() && jwk["kid"].is_string(), "{jwk}");
        let key = frontmcp_auth::token::SigningKey::from_jwk(jwk.as_object().expect("object"))
            .expect("loads");
        assert_eq!(key.kid(), jwk["kid"].as_str().unwrap_or_default());
        let (code, out, err) = frontmcp_auth(
            dir.path(),
            &["config", "check"],
            &[("JWT_SIGNING_KEY", out.trim())],
        );
        assert_eq!(code, 0, "{alg}: {err}");
        assert!(out.contains("is valid"), "{out}");
    }
    let (code, _, err) = frontmcp_auth(dir.path(), &["keygen", "--alg", "HS256"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid value 'HS256'"), "{err}");
}

#[test]
fn check_describes_a_remote_configuration_truthfully() {
    let toml = "[auth]\nmode = \"remote\"\nprovider = \"google\"\nclient_id = \"abc.apps.googleusercontent.com\"\nscopes = [\"email\"]\n[auth.federated_auth]\nmin_providers = 2\nrequired_providers = [\"default\"]\n[security]\nprofile = \"production\"\n";
    let (dir, _) = common::write_file("frontmcp.toml", toml);
    let (code, _, err) = frontmcp_auth(dir.path(), &["config", "check"], &[]);
    assert_eq!(code, 1, "{err}");
    for expected in [
        "the scopes lack `openid`",
        "Google needs this server's client secret",
        "[production_vault_key]",
        "min_providers = 2, but only 1 provider(s) are configured",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    assert!(
        !err.contains("[required_provider_unknown]"),
        "remote mode's one provider is `default`: {err}"
    );

    let fixed = "[auth]\nmode = \"remote\"\nprovider = \"google\"\nclient_id = \"abc.apps.googleusercontent.com\"\n[auth.federated_auth]\nrequired_providers = [\"default\"]\n";
    let (dir, _) = common::write_file("frontmcp.toml", fixed);
    let (code, out, err) = frontmcp_auth(
        dir.path(),
        &["config", "check"],
        &[
            ("IDP_CLIENT_SECRET", "a-google-client-secret"),
            ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("is valid"), "{out}");
}
