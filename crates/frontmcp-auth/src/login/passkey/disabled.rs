//! A build without the `passkeys` feature: [`Passkeys`] has no value, so no ceremony can run.
//! Configuration that asks for passkeys stops start-up first (`feature_not_compiled`).

use std::sync::Arc;

use super::PasskeyError;
use crate::store::{Identity, Store};

/// The passkey ceremonies: none in this build (the `passkeys` feature is off).
#[derive(Debug)]
pub enum Passkeys {}

impl Passkeys {
    /// Always refused: this build has no WebAuthn.
    ///
    /// # Errors
    ///
    /// Always, naming the feature.
    pub fn new(public_url: &str, store: Arc<dyn Store>) -> Result<Self, String> {
        let _ = (public_url, store);
        Err(String::from(
            "passkeys need the `passkeys` feature of frontmcp-auth, which this build was compiled without",
        ))
    }

    /// Whether `username` has a passkey (no value of this type exists).
    ///
    /// # Errors
    ///
    /// Never returns.
    pub async fn has_passkey(&self, username: &str) -> Result<bool, PasskeyError> {
        let _ = username;
        match *self {}
    }

    /// Starts registering a passkey (no value of this type exists).
    ///
    /// # Errors
    ///
    /// Never returns.
    pub async fn begin_registration(
        &self,
        username: &str,
        identity: &Identity,
    ) -> Result<(String, String), PasskeyError> {
        let _ = (username, identity);
        match *self {}
    }

    /// Finishes a registration (no value of this type exists).
    ///
    /// # Errors
    ///
    /// Never returns.
    pub async fn finish_registration(
        &self,
        username: &str,
        identity: &Identity,
        state: &str,
        credential: &str,
        now: u64,
    ) -> Result<(), PasskeyError> {
        let _ = (username, identity, state, credential, now);
        match *self {}
    }

    /// Starts a sign-in (no value of this type exists).
    ///
    /// # Errors
    ///
    /// Never returns.
    pub async fn begin_authentication(
        &self,
        username: &str,
    ) -> Result<(String, String), PasskeyError> {
        let _ = username;
        match *self {}
    }

    /// Finishes a sign-in (no value of this type exists).
    ///
    /// # Errors
    ///
    /// Never returns.
    pub async fn finish_authentication(
        &self,
        username: &str,
        state: &str,
        credential: &str,
    ) -> Result<Identity, PasskeyError> {
        let _ = (username, state, credential);
        match *self {}
    }
}
