//! The built-in password directory: users with argon2id hashes in a users file or in the
//! configured token storage, and the [`Authenticator`] that signs them in.

use std::sync::Arc;

use futures::future::BoxFuture;

use super::authenticator::{AuthenticatedUser, Authenticator, LoginAttempt, LoginRefusal};
use super::password;
use super::users_file::UsersFile;
use crate::store::{Store, StoreError, UserRecord};

/// The message for a wrong password and an unknown user alike.
pub const WRONG_CREDENTIALS: &str = "wrong username or password";
/// The longest username accepted.
pub const MAX_USERNAME_CHARS: usize = 128;

/// Where the directory keeps its users.
#[derive(Clone)]
pub enum Directory {
    /// A users file (`login.users_file`).
    File(Arc<UsersFile>),
    /// The configured token storage.
    Store(Arc<dyn Store>),
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Directory::File(file) => write!(f, "Directory::File({})", file.path().display()),
            Directory::Store(store) => write!(f, "Directory::Store({})", store.backend()),
        }
    }
}

/// A username as stored: trimmed and lower-cased; `None` when empty, too long, or holding
/// spaces or control characters.
pub fn normalize_username(username: &str) -> Option<String> {
    let username = username.trim().to_lowercase();
    (!username.is_empty()
        && username.chars().count() <= MAX_USERNAME_CHARS
        && username
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control()))
    .then_some(username)
}

fn store_error(error: StoreError) -> String {
    error.to_string()
}

impl Directory {
    /// The user named `username` (normalized).
    ///
    /// # Errors
    ///
    /// When the store cannot be reached.
    pub async fn user(&self, username: &str) -> Result<Option<UserRecord>, String> {
        match self {
            Directory::File(file) => Ok(file.user(username)),
            Directory::Store(store) => store.user(username).await.map_err(store_error),
        }
    }

    /// Adds or replaces a user.
    ///
    /// # Errors
    ///
    /// When the file or store cannot be written.
    pub async fn put(&self, user: UserRecord) -> Result<(), String> {
        match self {
            Directory::File(file) => file.put(user),
            Directory::Store(store) => store.put_user(user).await.map_err(store_error),
        }
    }

    /// Removes a user; `false` when there was none.
    ///
    /// # Errors
    ///
    /// When the file or store cannot be written.
    pub async fn remove(&self, username: &str) -> Result<bool, String> {
        match self {
            Directory::File(file) => file.remove(username),
            Directory::Store(store) => store.delete_user(username).await.map_err(store_error),
        }
    }

    /// Up to `limit` users.
    ///
    /// # Errors
    ///
    /// When the file or store cannot be read.
    pub async fn list(&self, limit: usize) -> Result<Vec<UserRecord>, String> {
        match self {
            Directory::File(file) => Ok(file.users()?.into_iter().take(limit).collect()),
            Directory::Store(store) => store.list_users(limit).await.map_err(store_error),
        }
    }

    /// Whether the directory has any user.
    ///
    /// # Errors
    ///
    /// When the file or store cannot be read.
    pub async fn has_users(&self) -> Result<bool, String> {
        match self {
            Directory::File(file) => file.has_users(),
            Directory::Store(store) => store.has_users().await.map_err(store_error),
        }
    }

    /// Where the users live, for messages.
    pub fn describe(&self) -> String {
        match self {
            Directory::File(file) => format!("users file {}", file.path().display()),
            Directory::Store(store) => format!("the {} token storage", store.backend()),
        }
    }
}

/// Signs in the users of a [`Directory`]: `username` and `password` fields; the same page and
/// the same work (one argon2id verification) for a wrong password and an unknown user.
#[derive(Debug, Clone)]
pub struct PasswordDirectory {
    directory: Directory,
    add_command: String,
}

impl PasswordDirectory {
    /// The directory; `add_command` is how an operator adds a user (shown while it is empty).
    pub fn new(directory: Directory, add_command: impl Into<String>) -> Self {
        Self {
            directory,
            add_command: add_command.into(),
        }
    }

    /// The directory behind it.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }
}

impl Authenticator for PasswordDirectory {
    fn authenticate<'a>(
        &'a self,
        attempt: &'a LoginAttempt,
    ) -> BoxFuture<'a, Result<AuthenticatedUser, LoginRefusal>> {
        Box::pin(async move {
            let password = attempt.fields.get("password").cloned().unwrap_or_default();
            let user = match attempt.field("username").and_then(normalize_username) {
                Some(username) => self
                    .directory
                    .user(&username)
                    .await
                    .map_err(LoginRefusal::Unavailable)?,
                None => None,
            };
            let hash = user.as_ref().and_then(|u| u.password_hash.clone());
            let matches = password::verify(hash, password).await;
            match user {
                Some(user) if matches => Ok(AuthenticatedUser {
                    subject: user.subject,
                    email: user.email,
                    name: user.name,
                    claims: Default::default(),
                }),
                _ => Err(LoginRefusal::Invalid(WRONG_CREDENTIALS.to_owned())),
            }
        })
    }

    fn setup_notice(&self) -> BoxFuture<'_, Option<String>> {
        Box::pin(async move {
            match self.directory.has_users().await {
                Ok(false) => Some(format!(
                    "This server has no users yet, so nobody can sign in. Its operator adds the first one with `{}` (users live in {}).",
                    self.add_command,
                    self.directory.describe()
                )),
                _ => None,
            }
        })
    }
}
