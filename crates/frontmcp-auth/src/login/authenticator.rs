//! The contract between local mode's login step and whoever knows the users: a directory, a
//! database, an LDAP server. The login page shows the authenticator's fields; the submitted form
//! comes back as a [`LoginAttempt`]; the answer is an [`AuthenticatedUser`] or a
//! [`LoginRefusal`].

use std::collections::BTreeMap;
use std::net::IpAddr;

use futures::future::BoxFuture;

/// What kind of input a login field is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// Plain text, shown again when the form is refused.
    Text,
    /// An email address, shown again when the form is refused.
    Email,
    /// A secret: never echoed back into the page, never logged.
    Password,
}

/// One field of the login form.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LoginField {
    /// The form field's name (letters, digits, `_` and `-`).
    pub name: String,
    /// The label shown to the user.
    pub label: String,
    /// Its kind.
    pub kind: FieldKind,
    /// Whether the browser requires it before submitting.
    pub required: bool,
    /// The `autocomplete` hint (`username`, `current-password`, `one-time-code`, ...).
    pub autocomplete: Option<String>,
}

impl LoginField {
    /// A field of `kind` named `name`, labelled `label`, required.
    pub fn new(name: impl Into<String>, label: impl Into<String>, kind: FieldKind) -> Self {
        Self {
            name: name.into(),
            label: label.into(),
            kind,
            required: true,
            autocomplete: None,
        }
    }

    /// The `username` field.
    pub fn username() -> Self {
        Self::new("username", "Username", FieldKind::Text).autocomplete("username")
    }

    /// The `password` field.
    pub fn password() -> Self {
        Self::new("password", "Password", FieldKind::Password).autocomplete("current-password")
    }

    /// Sets the `autocomplete` hint.
    #[must_use]
    pub fn autocomplete(mut self, hint: impl Into<String>) -> Self {
        self.autocomplete = Some(hint.into());
        self
    }

    /// Makes the field optional.
    #[must_use]
    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    /// Whether the name is one the form may carry: not one of the server's own fields.
    pub(crate) fn name_is_valid(name: &str) -> bool {
        !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            && !RESERVED_FIELDS.contains(&name)
            && !name.starts_with("app.")
    }
}

/// Fields the server itself puts on the login form.
pub(crate) const RESERVED_FIELDS: &[&str] = &[
    "pending_auth_id",
    "csrf_token",
    "apps_shown",
    "incremental",
    "app_id",
    "federated",
    "providers",
];

/// A submitted login: every field of the form (the server's own hidden fields left out), the
/// client it is for, the apps it authorizes and where it came from.
#[derive(Clone, PartialEq, Eq)]
pub struct LoginAttempt {
    /// The form's fields by name.
    pub fields: BTreeMap<String, String>,
    /// The OAuth client the login is for.
    pub client_id: String,
    /// The client's display name.
    pub client_name: String,
    /// The apps this login authorizes (progressive authorization), if it names any.
    pub apps: Vec<String>,
    /// The browser's address (behind a trusted proxy, the forwarded one).
    pub client_ip: Option<IpAddr>,
}

impl std::fmt::Debug for LoginAttempt {
    /// Field values are left out: they may hold a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginAttempt")
            .field("fields", &self.fields.keys().collect::<Vec<_>>())
            .field("client_id", &self.client_id)
            .field("apps", &self.apps)
            .field("client_ip", &self.client_ip)
            .finish()
    }
}

impl LoginAttempt {
    /// The value of field `name`, trimmed; `None` when absent or empty.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }
}

/// Who signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedUser {
    /// The subject of the user's tokens: stable, unique in this directory.
    pub subject: String,
    /// The user's email (checked against `security.allowed_email_domains`).
    pub email: Option<String>,
    /// The user's display name.
    pub name: Option<String>,
    /// Extra claims for the user's access tokens. Claims this server sets itself (`iss`,
    /// `sub`, `aud`, `exp`, `scope`, ...) cannot be replaced and are left out.
    pub claims: BTreeMap<String, serde_json::Value>,
}

impl AuthenticatedUser {
    /// A user with this subject and nothing else.
    pub fn new(subject: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            email: None,
            name: None,
            claims: BTreeMap::new(),
        }
    }

    /// Sets the email.
    #[must_use]
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Sets the display name.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Adds an extra claim.
    #[must_use]
    pub fn claim(mut self, name: impl Into<String>, value: serde_json::Value) -> Self {
        self.claims.insert(name.into(), value);
        self
    }
}

/// Why a login did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginRefusal {
    /// The credentials are wrong (or the user may not sign in): the form again with this
    /// message. It counts towards the account's and the address's backoff.
    #[error("{0}")]
    Invalid(String),
    /// The authenticator cannot answer now (its database is down): a 503 page and an audit
    /// event; the message is logged, never shown.
    #[error("the authenticator is unavailable: {0}")]
    Unavailable(String),
}

/// Verifies who is signing in. Set one in code with `login(authenticator = MyDirectory)` (the
/// type implements `Default`) or [`ServerDefinition::authenticator`](crate::ServerDefinition::authenticator).
///
/// ```
/// use frontmcp_auth::login::{
///     AuthenticatedUser, Authenticator, BoxFuture, LoginAttempt, LoginField, LoginRefusal,
/// };
///
/// #[derive(Default)]
/// struct Staff;
///
/// impl Authenticator for Staff {
///     fn fields(&self) -> Vec<LoginField> {
///         vec![LoginField::username(), LoginField::password()]
///     }
///
///     fn authenticate<'a>(
///         &'a self,
///         attempt: &'a LoginAttempt,
///     ) -> BoxFuture<'a, Result<AuthenticatedUser, LoginRefusal>> {
///         Box::pin(async move {
///             match (attempt.field("username"), attempt.fields.get("password")) {
///                 (Some("ada"), Some(password)) if password == "correct horse" => {
///                     Ok(AuthenticatedUser::new("ada").email("ada@example.com"))
///                 }
///                 _ => Err(LoginRefusal::Invalid("wrong username or password".into())),
///             }
///         })
///     }
/// }
/// ```
pub trait Authenticator: Send + Sync + 'static {
    /// The fields of the login form, in order. Default: `username` and `password`.
    fn fields(&self) -> Vec<LoginField> {
        vec![LoginField::username(), LoginField::password()]
    }

    /// Checks a submitted login. Runs with a timeout; an error is never a 500.
    fn authenticate<'a>(
        &'a self,
        attempt: &'a LoginAttempt,
    ) -> BoxFuture<'a, Result<AuthenticatedUser, LoginRefusal>>;

    /// The account an attempt is for, for per-account backoff. Default: the `username`
    /// field, else `email`, lower-cased.
    fn account(&self, attempt: &LoginAttempt) -> Option<String> {
        attempt
            .field("username")
            .or_else(|| attempt.field("email"))
            .map(str::to_lowercase)
    }

    /// A message shown instead of the login form when nobody can sign in yet (an empty
    /// directory), saying how to add the first user. Default: none.
    fn setup_notice(&self) -> BoxFuture<'_, Option<String>> {
        Box::pin(std::future::ready(None))
    }
}
