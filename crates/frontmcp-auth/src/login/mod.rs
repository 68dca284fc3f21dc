//! Who the user is, in local mode: the [`Authenticator`] interface the login step calls, the
//! development [`DemoLogin`], the built-in [`PasswordDirectory`] (argon2id, in a users file or
//! the token storage), backoff after failed sign-ins, and passkeys.

mod authenticator;
mod backoff;
mod demo;
mod directory;
pub mod passkey;
pub mod password;
mod users_file;

use std::sync::Arc;
use std::time::Duration;

pub(crate) use authenticator::RESERVED_FIELDS;
pub use authenticator::{
    AuthenticatedUser, Authenticator, FieldKind, LoginAttempt, LoginField, LoginRefusal,
};
pub use backoff::{Backoff, BackoffLimits};
pub use demo::{DEMO_NOTICE, DemoLogin, MAX_EMAIL_BYTES, MAX_NAME_CHARS, email_well_formed};
pub use directory::{Directory, PasswordDirectory, WRONG_CREDENTIALS, normalize_username};
/// The boxed future [`Authenticator::authenticate`] returns (re-exported so an implementation
/// needs no `futures` dependency).
pub use futures::future::BoxFuture;
pub use users_file::UsersFile;

use crate::audit::{self, Event};
use crate::clock::Clock;
use crate::store::Store;
use frontmcp_auth_config::{AuthConfig, AuthenticatorKind};

/// How long an authenticator may take before the login is answered with a 503 page.
pub const AUTHENTICATOR_TIMEOUT: Duration = Duration::from_secs(10);

/// What a checked login attempt came to.
#[derive(Debug)]
pub enum LoginOutcome {
    /// Signed in.
    Accepted(AuthenticatedUser),
    /// Refused: the form again with `message` and HTTP `status` (400, or 429 while backing off).
    Refused {
        /// Shown above the form.
        message: String,
        /// The page's status.
        status: u16,
    },
    /// The authenticator could not answer: a 503 page.
    Unavailable,
}

/// The login step of one authorization server: its authenticator, backoff and passkeys.
pub struct Login {
    authenticator: Arc<dyn Authenticator>,
    kind: AuthenticatorKind,
    backoff: Option<Backoff>,
    passkeys: Option<passkey::Passkeys>,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("kind", &self.kind)
            .field("backoff", &self.backoff)
            .field("passkeys", &self.passkeys.is_some())
            .finish()
    }
}

/// Why the login step cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginSetupError {
    /// `login.authenticator = "custom"` without an authenticator set in code.
    #[error(
        "auth.login.authenticator = \"custom\" needs an authenticator set in code: login(authenticator = MyDirectory) or ServerDefinition::authenticator"
    )]
    MissingAuthenticator,
    /// An authenticator is set in code, but the configuration chose another one.
    #[error(
        "an authenticator is set in code, but auth.login.authenticator = \"{0}\" would leave it unused; remove that setting (or the authenticator)"
    )]
    UnusedAuthenticator(&'static str),
    /// The users file cannot be read.
    #[error("auth.login.users_file: {0}")]
    UsersFile(String),
    /// Passkeys cannot be set up.
    #[error("auth.login.passkeys: {0}")]
    Passkeys(String),
}

impl Login {
    /// The demo login of `auth` (what a bare authorization server uses).
    pub fn demo(auth: &AuthConfig) -> Self {
        Self {
            authenticator: Arc::new(DemoLogin {
                require_email: auth.require_email,
                anonymous_subject: auth.anonymous_subject.clone(),
            }),
            kind: AuthenticatorKind::Demo,
            backoff: None,
            passkeys: None,
        }
    }

    /// The login step `auth.login` describes, with `in_code` the authenticator set in code.
    /// `public_url` is the relying party of passkeys.
    ///
    /// # Errors
    ///
    /// When the configuration and the code disagree, the users file cannot be read, or
    /// passkeys cannot be set up.
    pub fn build(
        auth: &AuthConfig,
        in_code: Option<Arc<dyn Authenticator>>,
        store: Arc<dyn Store>,
        clock: Clock,
        public_url: Option<&str>,
    ) -> Result<Self, LoginSetupError> {
        let kind = auth.login.effective(in_code.is_some());
        let authenticator: Arc<dyn Authenticator> = match (kind, in_code) {
            (AuthenticatorKind::Custom, Some(code)) => code,
            (AuthenticatorKind::Custom, None) => return Err(LoginSetupError::MissingAuthenticator),
            (other, Some(_)) => return Err(LoginSetupError::UnusedAuthenticator(other.as_str())),
            (AuthenticatorKind::Demo, None) => return Ok(Self::demo(auth)),
            (AuthenticatorKind::Password, None) => {
                Arc::new(password_directory(auth, store.clone())?)
            }
        };
        let backoff = Backoff::new(
            BackoffLimits {
                per_account: auth.login.max_failures,
                per_ip: auth.login.max_failures_per_ip,
                window: auth.login.failure_window,
            },
            store.clone(),
            clock,
        );
        let passkeys = match (auth.login.passkeys, public_url) {
            (true, Some(url)) => {
                Some(passkey::Passkeys::new(url, store).map_err(LoginSetupError::Passkeys)?)
            }
            (true, None) => {
                return Err(LoginSetupError::Passkeys(String::from(
                    "passkeys need http.public_url",
                )));
            }
            (false, _) => None,
        };
        Ok(Self {
            authenticator,
            kind,
            backoff: Some(backoff),
            passkeys,
        })
    }

    /// Which authenticator is in force.
    pub fn kind(&self) -> AuthenticatorKind {
        self.kind
    }

    /// The form's fields.
    pub fn fields(&self) -> Vec<LoginField> {
        self.authenticator
            .fields()
            .into_iter()
            .filter(|f| LoginField::name_is_valid(&f.name))
            .collect()
    }

    /// The account `attempt` names (the passkey and backoff key).
    pub fn account(&self, attempt: &LoginAttempt) -> Option<String> {
        self.authenticator.account(attempt)
    }

    /// The notice shown on the page: the demo warning, else none.
    pub fn notice(&self) -> Option<&'static str> {
        (self.kind == AuthenticatorKind::Demo).then_some(DEMO_NOTICE)
    }

    /// The authenticator's setup notice (an empty directory).
    pub async fn setup_notice(&self) -> Option<String> {
        self.authenticator.setup_notice().await
    }

    /// Passkeys, when offered.
    pub fn passkeys(&self) -> Option<&passkey::Passkeys> {
        self.passkeys.as_ref()
    }

    /// The backoff counters (not for the demo login).
    pub fn backoff(&self) -> Option<&Backoff> {
        self.backoff.as_ref()
    }

    /// Checks `attempt`: backoff first (a locked account or address is refused without
    /// asking the authenticator), then the authenticator, bounded by
    /// [`AUTHENTICATOR_TIMEOUT`]. Failures are audited with their reason, never a field value.
    pub async fn check(&self, attempt: &LoginAttempt) -> LoginOutcome {
        let account = self.authenticator.account(attempt);
        if let Some(backoff) = &self.backoff
            && let Some(seconds) = backoff.locked(account.as_deref(), attempt.client_ip).await
        {
            audit::record(
                Event::LoginFailure,
                None,
                Some(&attempt.client_id),
                "too many failed sign-ins",
            );
            return LoginOutcome::Refused {
                message: format!(
                    "too many failed sign-in attempts; try again in {} minutes",
                    seconds.div_ceil(60)
                ),
                status: 429,
            };
        }
        let answer = tokio::time::timeout(
            AUTHENTICATOR_TIMEOUT,
            self.authenticator.authenticate(attempt),
        )
        .await
        .unwrap_or_else(|_| {
            Err(LoginRefusal::Unavailable(String::from(
                "the authenticator did not answer in time",
            )))
        });
        match answer {
            Ok(user) => LoginOutcome::Accepted(user),
            Err(LoginRefusal::Invalid(message)) => {
                if let Some(backoff) = &self.backoff {
                    backoff.failed(account.as_deref(), attempt.client_ip).await;
                }
                audit::record(
                    Event::LoginFailure,
                    None,
                    Some(&attempt.client_id),
                    "invalid credentials",
                );
                LoginOutcome::Refused {
                    message,
                    status: 400,
                }
            }
            Err(LoginRefusal::Unavailable(reason)) => {
                tracing::error!(target: "frontmcp_auth::login", "authenticator unavailable: {reason}");
                audit::record(
                    Event::LoginFailure,
                    None,
                    Some(&attempt.client_id),
                    "authenticator unavailable",
                );
                LoginOutcome::Unavailable
            }
        }
    }
}

/// This server's binary, as an operator would type it.
fn binary_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| String::from("frontmcp-auth"))
}

/// The password directory `auth.login` names: the users file, else the token storage.
fn password_directory(
    auth: &AuthConfig,
    store: Arc<dyn Store>,
) -> Result<PasswordDirectory, LoginSetupError> {
    let (directory, command) = match &auth.login.users_file {
        Some(path) => (
            Directory::File(Arc::new(
                UsersFile::open(path).map_err(LoginSetupError::UsersFile)?,
            )),
            format!("{} users add <username>", binary_name()),
        ),
        None => (
            Directory::Store(store),
            format!("{} users add <username>", binary_name()),
        ),
    };
    Ok(PasswordDirectory::new(directory, command))
}
