//! The password directory in a file: a JSON document of users with argon2id hashes, like an
//! htpasswd file. `frontmcp-auth users` edits it (written whole to a temporary file, then
//! renamed, readable by its owner only); a running server rereads it when it changes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::store::{MAX_USERS, UserRecord};

/// The file's layout.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Document {
    users: Vec<UserRecord>,
}

/// A users file, cached and reread when its modification time changes.
#[derive(Debug)]
pub struct UsersFile {
    path: PathBuf,
    cache: Mutex<(Option<SystemTime>, BTreeMap<String, UserRecord>)>,
}

impl UsersFile {
    /// The file at `path` (absent means no users yet).
    ///
    /// # Errors
    ///
    /// When the file exists but cannot be read or is not a users file.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, String> {
        let file = Self {
            path: path.into(),
            cache: Mutex::new((None, BTreeMap::new())),
        };
        file.refresh()?;
        Ok(file)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn modified(&self) -> Option<SystemTime> {
        std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok()
    }

    /// Rereads the file when it changed since the last read.
    fn refresh(&self) -> Result<(), String> {
        let modified = self.modified();
        let mut cache = self
            .cache
            .lock()
            .map_err(|_| String::from("the users cache is poisoned"))?;
        if modified.is_some() && cache.0 == modified {
            return Ok(());
        }
        let users = match modified {
            None => BTreeMap::new(),
            Some(_) => read(&self.path)?,
        };
        *cache = (modified, users);
        Ok(())
    }

    /// The user named `username`. A file that became unreadable keeps serving what was read
    /// last (and says so in the log).
    pub fn user(&self, username: &str) -> Option<UserRecord> {
        if let Err(error) = self.refresh() {
            tracing::warn!(target: "frontmcp_auth::login", "users file {}: {error}", self.path.display());
        }
        self.cache.lock().ok()?.1.get(username).cloned()
    }

    /// Every user, by username.
    ///
    /// # Errors
    ///
    /// When the file cannot be read.
    pub fn users(&self) -> Result<Vec<UserRecord>, String> {
        self.refresh()?;
        Ok(self
            .cache
            .lock()
            .map_err(|_| String::from("the users cache is poisoned"))?
            .1
            .values()
            .cloned()
            .collect())
    }

    /// Whether the file holds any user (as last read; reread when it changed).
    ///
    /// # Errors
    ///
    /// When the file cannot be read.
    pub fn has_users(&self) -> Result<bool, String> {
        self.refresh()?;
        Ok(!self
            .cache
            .lock()
            .map_err(|_| String::from("the users cache is poisoned"))?
            .1
            .is_empty())
    }

    /// Adds or replaces `user`, writing the file.
    ///
    /// # Errors
    ///
    /// When the file cannot be read or written, or holds [`MAX_USERS`] users already.
    pub fn put(&self, user: UserRecord) -> Result<(), String> {
        let mut users = read_or_empty(&self.path)?;
        if users.len() >= MAX_USERS && !users.contains_key(&user.username) {
            return Err(format!(
                "the directory holds its maximum of {MAX_USERS} users"
            ));
        }
        users.insert(user.username.clone(), user);
        write(&self.path, &users)
    }

    /// Removes a user, writing the file; `false` when there was none.
    ///
    /// # Errors
    ///
    /// When the file cannot be read or written.
    pub fn remove(&self, username: &str) -> Result<bool, String> {
        let mut users = read_or_empty(&self.path)?;
        if users.remove(username).is_none() {
            return Ok(false);
        }
        write(&self.path, &users)?;
        Ok(true)
    }
}

fn read_or_empty(path: &Path) -> Result<BTreeMap<String, UserRecord>, String> {
    if path.exists() {
        read(path)
    } else {
        Ok(BTreeMap::new())
    }
}

fn read(path: &Path) -> Result<BTreeMap<String, UserRecord>, String> {
    let text = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let document: Document = serde_json::from_slice(&text)
        .map_err(|e| format!("{} is not a users file: {e}", path.display()))?;
    Ok(document
        .users
        .into_iter()
        .map(|u| (u.username.clone(), u))
        .collect())
}

fn write(path: &Path, users: &BTreeMap<String, UserRecord>) -> Result<(), String> {
    let document = Document {
        users: users.values().cloned().collect(),
    };
    let json = serde_json::to_vec_pretty(&document)
        .map_err(|e| format!("cannot serialize the users: {e}"))?;
    let temporary = path.with_extension("tmp");
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options
            .open(&temporary)
            .map_err(|e| format!("cannot write {}: {e}", temporary.display()))?;
        file.write_all(&json)
            .and_then(|()| file.sync_all())
            .map_err(|e| format!("cannot write {}: {e}", temporary.display()))?;
    }
    std::fs::rename(&temporary, path).map_err(|e| format!("cannot replace {}: {e}", path.display()))
}
