//! The password directory's users in memory (lost when the process stops).

use futures::future::BoxFuture;

use super::{MemoryStore, ready};
use crate::store::{MAX_USERS, StoreError, StoreResult, UserRecord, UserStore};

impl UserStore for MemoryStore {
    fn user<'a>(&'a self, username: &'a str) -> BoxFuture<'a, StoreResult<Option<UserRecord>>> {
        ready(self.with(|state, _| state.users.get(username).cloned()))
    }

    fn put_user(&self, user: UserRecord) -> BoxFuture<'_, StoreResult<()>> {
        ready(
            self.with(|state, _| {
                if state.users.len() >= MAX_USERS && !state.users.contains_key(&user.username) {
                    return Err(StoreError::LimitReached(format!(
                        "the directory holds its maximum of {} users",
                        MAX_USERS
                    )));
                }
                state.users.insert(user.username.clone(), user);
                Ok(())
            })
            .and_then(|r| r),
        )
    }

    fn delete_user<'a>(&'a self, username: &'a str) -> BoxFuture<'a, StoreResult<bool>> {
        ready(self.with(|state, _| state.users.remove(username).is_some()))
    }

    fn list_users(&self, limit: usize) -> BoxFuture<'_, StoreResult<Vec<UserRecord>>> {
        ready(self.with(|state, _| state.users.values().take(limit).cloned().collect()))
    }

    fn has_users(&self) -> BoxFuture<'_, StoreResult<bool>> {
        ready(self.with(|state, _| !state.users.is_empty()))
    }
}
