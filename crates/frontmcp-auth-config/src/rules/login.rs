//! Rules about `auth.login`: the production profile refuses the demo login, and the login
//! options must fit the authenticator in force.

use super::RuleInput;
use crate::model::{AuthConfig, AuthMode, AuthenticatorKind};
use crate::path::KeyPath;
use crate::violation::{Rule, Violation};

/// The authenticator in force: the configured one, else `custom` when the code sets one (the
/// attribute writes `authenticator = "custom"` itself), else the demo login.
fn kind(input: &RuleInput<'_>, auth: &AuthConfig) -> AuthenticatorKind {
    auth.login.effective(input.code.authenticator_in_code)
}

/// The production profile refuses local mode's demo login, which believes any typed email
/// (the seeds: "Never use the demo login page in production").
pub fn production_demo_login(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    let profile = KeyPath::root().key("security").key("profile");
    if !input.config.security.is_production()
        || !input.known(&profile)
        || auth.mode != AuthMode::Local
        || !input.mode_known(base)
        || kind(input, auth) != AuthenticatorKind::Demo
    {
        return Vec::new();
    }
    let path = base.key("login").key("authenticator");
    vec![
        Violation::new(
            Rule::ProductionDemoLogin,
            path.clone(),
            input.loc_or(&path, &profile),
            String::from(
                "local mode signs users in with the demo login, which believes any typed email",
            ),
        )
        .help("set login(authenticator = \"password\") and add users with `frontmcp-auth users add`, set an authenticator in code (login(authenticator = MyDirectory)), or use remote mode")
        .related(profile),
    ]
}

/// `auth.login` options must fit the authenticator: `users_file` belongs to the password
/// directory, passkeys need a real first sign-in and the public URL (their relying party), the
/// demo form's own options belong to the demo login, and the backoff counts are positive.
pub fn login_options_invalid(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    if auth.mode != AuthMode::Local || !input.mode_known(base) {
        return Vec::new();
    }
    let login = base.key("login");
    let kind = kind(input, auth);
    let mut found = Vec::new();
    let mut refuse = |path: KeyPath, message: String, help: &str| {
        found.push(
            Violation::new(
                Rule::LoginOptionsInvalid,
                path.clone(),
                input.loc_or(&path, &login),
                message,
            )
            .help(help),
        );
    };
    if auth.login.users_file.is_some() && kind != AuthenticatorKind::Password {
        refuse(
            login.key("users_file"),
            format!(
                "`users_file` is the password directory's, but the authenticator is `{}`",
                kind.as_str()
            ),
            "set login(authenticator = \"password\"), or remove users_file",
        );
    }
    if auth.login.passkeys && kind == AuthenticatorKind::Demo {
        refuse(
            login.key("passkeys"),
            String::from(
                "passkeys are registered after a verified sign-in, and the demo login verifies nobody",
            ),
            "set login(authenticator = \"password\") or an authenticator in code",
        );
    }
    if auth.login.passkeys && input.config.http.public_url.is_none() {
        refuse(
            login.key("passkeys"),
            String::from(
                "passkeys need `http.public_url`: their relying party id and origin come from it",
            ),
            "set http.public_url (or FRONTMCP_PUBLIC_URL), e.g. http://localhost:3000",
        );
    }
    if kind != AuthenticatorKind::Demo {
        for key in ["require_email", "anonymous_subject"] {
            let path = base.key(key);
            if input.index.is_set(&path) {
                refuse(
                    path,
                    format!(
                        "`{key}` shapes the demo login's form, but the authenticator is `{}`",
                        kind.as_str()
                    ),
                    "remove it: the authenticator decides who the user is",
                );
            }
        }
    }
    for (key, value) in [
        ("max_failures", auth.login.max_failures),
        ("max_failures_per_ip", auth.login.max_failures_per_ip),
        ("failure_window", auth.login.failure_window),
    ] {
        if value == 0 {
            refuse(
                login.key(key),
                format!("`{key}` must be at least 1"),
                "leave it out for the default",
            );
        }
    }
    found
}
