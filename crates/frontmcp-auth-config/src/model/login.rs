//! `auth.login(...)`: who verifies a local-mode login, and the built-in directory's settings.

use serde::Serialize;

/// Who verifies the login form of local mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthenticatorKind {
    /// The development form: an email and a name, believed as typed. Refused by the
    /// production profile.
    Demo,
    /// The built-in password directory (argon2id hashes, in `users_file` or the token storage).
    Password,
    /// An authenticator set in code (`login(authenticator = MyDirectory)` or
    /// `ServerDefinition::authenticator`).
    Custom,
}

impl AuthenticatorKind {
    /// The configuration spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthenticatorKind::Demo => "demo",
            AuthenticatorKind::Password => "password",
            AuthenticatorKind::Custom => "custom",
        }
    }
}

/// `login(authenticator, users_file, passkeys, max_failures, max_failures_per_ip,
/// failure_window)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoginConfig {
    /// Who verifies the login. Default: `custom` when an authenticator is set in code, else
    /// `demo`.
    pub authenticator: Option<AuthenticatorKind>,
    /// The password directory's users file (JSON, managed with `frontmcp-auth users`).
    /// Default: absent (users live in the configured token storage).
    pub users_file: Option<String>,
    /// Offer passkeys (WebAuthn): registration after a first sign-in, then sign-in with one.
    /// Needs `http.public_url` (the relying party). Default: `false`.
    pub passkeys: bool,
    /// Failed sign-ins per account within `failure_window` before the account waits for the
    /// window to end. Default: `5`.
    pub max_failures: u64,
    /// Failed sign-ins per client IP within `failure_window` before that IP waits.
    /// Default: `50`.
    pub max_failures_per_ip: u64,
    /// Seconds over which failures are counted. Default: `900`.
    pub failure_window: u64,
}

impl Default for LoginConfig {
    fn default() -> Self {
        Self {
            authenticator: None,
            users_file: None,
            passkeys: false,
            max_failures: 5,
            max_failures_per_ip: 50,
            failure_window: 900,
        }
    }
}

impl LoginConfig {
    /// The authenticator in force, given whether one is set in code.
    pub fn effective(&self, in_code: bool) -> AuthenticatorKind {
        self.authenticator.unwrap_or(if in_code {
            AuthenticatorKind::Custom
        } else {
            AuthenticatorKind::Demo
        })
    }
}

/// `ui(templates_dir)`: the HTML pages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UiConfig {
    /// A directory whose `login.html`, `consent.html`, `passkey.html` and `error.html` replace
    /// the built-in pages (minijinja, autoescaped). Default: absent (the built-in pages).
    pub templates_dir: Option<String>,
}
