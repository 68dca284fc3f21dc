//! `users add | remove | list`: the built-in password directory of the configured server
//! (its users file, or its token storage). Passwords are read without echo from a terminal, or
//! as the first line of standard input otherwise; they are never printed or logged.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use clap::Subcommand;

use crate::clock::Clock;
use crate::config::FileChoice;
use crate::definition::ServerDefinition;
use crate::login::password::{MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS, hash_password};
use crate::login::{Directory, UsersFile, email_well_formed, normalize_username};
use crate::store::{Store, UserRecord};
use frontmcp_auth_config::{AuthMode, AuthenticatorKind, TokenStorage};

/// The most users `users list` prints.
const LIST_LIMIT: usize = 10_000;

/// The `users` subcommands.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a user, or set a new password for an existing one.
    Add {
        /// The sign-in name (stored lower-case).
        username: String,
        /// The user's email (default: the username, when it is an email address).
        #[arg(long)]
        email: Option<String>,
        /// The user's display name.
        #[arg(long)]
        name: Option<String>,
        /// The subject of the user's tokens (default: the username).
        #[arg(long)]
        subject: Option<String>,
    },
    /// Remove a user (and the user's passkeys).
    Remove {
        /// The sign-in name.
        username: String,
    },
    /// List the users (never their hashes).
    List,
}

/// Where the configured server keeps its users, and its store when it has a persistent one.
async fn open_directory(
    definition: &ServerDefinition,
    file: Option<PathBuf>,
) -> Result<(Directory, Option<Arc<dyn Store>>), String> {
    let loaded = definition
        .loader()
        .file(file.map_or(FileChoice::Default, FileChoice::Path))
        .load()
        .map_err(|e| e.to_string())?;
    let auth = loaded.config.effective_auth();
    if auth.mode != AuthMode::Local {
        return Err(format!(
            "the server is in {} mode; the password directory belongs to local mode",
            auth.mode.as_str()
        ));
    }
    let kind = auth
        .login
        .effective(definition.authenticator_in_code().is_some());
    if kind != AuthenticatorKind::Password {
        eprintln!(
            "note: auth.login.authenticator is `{}`: these users sign in only once it is \"password\"",
            kind.as_str()
        );
    }
    let store = match &auth.token_storage {
        TokenStorage::Memory => None,
        storage => {
            let store = crate::store::open(storage, &Clock::system()).map_err(|e| e.to_string())?;
            store.ping().await.map_err(|e| e.to_string())?;
            Some(store)
        }
    };
    let directory = match (&auth.login.users_file, &store) {
        (Some(path), _) => Directory::File(Arc::new(UsersFile::open(path)?)),
        (None, Some(store)) => Directory::Store(store.clone()),
        (None, None) => {
            return Err(String::from(
                "users would live in the memory token storage, which ends with this command: set auth.login.users_file, or a sqlite or redis token_storage",
            ));
        }
    };
    Ok((directory, store))
}

/// A new password: twice without echo on a terminal, else the first line of standard input.
fn read_password() -> Result<String, String> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("New password: ").map_err(|e| e.to_string())?;
        let again = rpassword::prompt_password("Again: ").map_err(|e| e.to_string())?;
        if first != again {
            return Err(String::from("the two passwords differ"));
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!(
            "the password must have at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(format!(
            "the password must be at most {MAX_PASSWORD_BYTES} bytes"
        ));
    }
    Ok(password)
}

/// Runs a `users` command; the message to print on success.
pub async fn run(
    definition: &ServerDefinition,
    file: Option<PathBuf>,
    command: UsersCommand,
) -> Result<String, String> {
    let (directory, store) = open_directory(definition, file).await?;
    match command {
        UsersCommand::Add {
            username,
            email,
            name,
            subject,
        } => {
            let username = normalize_username(&username)
                .ok_or("a username is 1 to 128 characters without spaces")?;
            let email = match email {
                Some(email) if email_well_formed(&email) => Some(email.to_lowercase()),
                Some(email) => return Err(format!("`{email}` is not an email address")),
                None => email_well_formed(&username).then(|| username.clone()),
            };
            let password = read_password()?;
            let hash = tokio::task::spawn_blocking(move || hash_password(&password))
                .await
                .map_err(|e| e.to_string())??;
            let existing = directory.user(&username).await?;
            let created_at = Clock::system().now();
            let user = UserRecord {
                subject: subject
                    .or_else(|| existing.as_ref().map(|u| u.subject.clone()))
                    .unwrap_or_else(|| username.clone()),
                email: email.or_else(|| existing.as_ref().and_then(|u| u.email.clone())),
                name: name.or_else(|| existing.as_ref().and_then(|u| u.name.clone())),
                password_hash: Some(hash),
                passkeys: existing
                    .as_ref()
                    .map(|u| u.passkeys.clone())
                    .unwrap_or_default(),
                created_at: existing.as_ref().map_or(created_at, |u| u.created_at),
                username: username.clone(),
            };
            directory.put(user).await?;
            Ok(format!(
                "{} `{username}` in {}",
                if existing.is_some() {
                    "updated"
                } else {
                    "added"
                },
                directory.describe()
            ))
        }
        UsersCommand::Remove { username } => {
            let username = normalize_username(&username).ok_or("no such username")?;
            let removed = directory.remove(&username).await?;
            if let (Directory::File(_), Some(store)) = (&directory, &store) {
                // The user's passkeys live in the store.
                store
                    .delete_user(&username)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            if removed {
                Ok(format!(
                    "removed `{username}` from {}",
                    directory.describe()
                ))
            } else {
                Err(format!("no user `{username}` in {}", directory.describe()))
            }
        }
        UsersCommand::List => {
            let users = directory.list(LIST_LIMIT).await?;
            let mut out = Vec::new();
            let _ = writeln!(out, "{} users in {}", users.len(), directory.describe());
            for user in users {
                let _ = writeln!(
                    out,
                    "{}\tsubject={}\temail={}\tname={}\tpassword={}\tpasskeys={}",
                    user.username,
                    user.subject,
                    user.email.as_deref().unwrap_or("-"),
                    user.name.as_deref().unwrap_or("-"),
                    if user.password_hash.is_some() {
                        "set"
                    } else {
                        "none"
                    },
                    user.passkeys.len()
                );
            }
            Ok(String::from_utf8_lossy(&out).trim_end().to_owned())
        }
    }
}
