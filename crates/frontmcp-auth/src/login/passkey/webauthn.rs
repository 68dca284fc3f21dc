//! The WebAuthn ceremonies, through `webauthn-rs`.

use std::sync::Arc;

use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Webauthn, WebauthnBuilder,
};

use super::{MAX_CREDENTIAL_BYTES, MAX_PASSKEYS_PER_USER, PasskeyError};
use crate::store::{Identity, Store, UserRecord};

/// A stable WebAuthn user handle for a subject: the first 16 bytes of its SHA-256.
fn subject_uuid(subject: &str) -> webauthn_rs::prelude::Uuid {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, subject.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest.as_ref()[..16]);
    webauthn_rs::prelude::Uuid::from_bytes(bytes)
}

/// The passkey ceremonies of one server. Needs the `passkeys` feature (on by default).
pub struct Passkeys {
    webauthn: Webauthn,
    store: Arc<dyn Store>,
}

impl std::fmt::Debug for Passkeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passkeys").finish_non_exhaustive()
    }
}

fn unavailable(error: impl std::fmt::Display) -> PasskeyError {
    PasskeyError::Unavailable(error.to_string())
}

impl Passkeys {
    /// Passkeys for the relying party at `public_url`.
    ///
    /// # Errors
    ///
    /// When the URL has no host WebAuthn accepts as a relying party id.
    pub fn new(public_url: &str, store: Arc<dyn Store>) -> Result<Self, String> {
        let origin = Url::parse(public_url).map_err(|e| format!("{public_url}: {e}"))?;
        let rp_id = origin
            .host_str()
            .ok_or_else(|| format!("{public_url} has no host"))?
            .to_owned();
        let webauthn = WebauthnBuilder::new(&rp_id, &origin)
            .and_then(|b| b.rp_name("frontmcp-auth").build())
            .map_err(|e| format!("`{rp_id}` cannot be a passkey relying party ({e}); use a domain name such as localhost, not an IP address"))?;
        Ok(Self { webauthn, store })
    }

    async fn record(&self, username: &str) -> Result<Option<UserRecord>, PasskeyError> {
        self.store.user(username).await.map_err(unavailable)
    }

    fn passkeys_of(record: &UserRecord) -> Vec<Passkey> {
        record
            .passkeys
            .iter()
            .filter_map(|value| serde_json::from_value(value.clone()).ok())
            .collect()
    }

    /// Whether `username` has a passkey.
    ///
    /// # Errors
    ///
    /// When storage fails.
    pub async fn has_passkey(&self, username: &str) -> Result<bool, PasskeyError> {
        Ok(self
            .record(username)
            .await?
            .is_some_and(|r| !Self::passkeys_of(&r).is_empty()))
    }

    /// Starts registering a passkey for `identity` under `username`: the browser's options
    /// (JSON) and the state to keep (JSON).
    ///
    /// # Errors
    ///
    /// When the user has the most passkeys allowed, or storage fails.
    pub async fn begin_registration(
        &self,
        username: &str,
        identity: &Identity,
    ) -> Result<(String, String), PasskeyError> {
        let existing = self
            .record(username)
            .await?
            .map(|r| Self::passkeys_of(&r))
            .unwrap_or_default();
        if existing.len() >= MAX_PASSKEYS_PER_USER {
            return Err(PasskeyError::TooMany);
        }
        let exclude = existing.iter().map(|p| p.cred_id().clone()).collect();
        let display = identity.name.as_deref().unwrap_or(username);
        let (options, state) = self
            .webauthn
            .start_passkey_registration(
                subject_uuid(&identity.subject),
                username,
                display,
                Some(exclude),
            )
            .map_err(|_| PasskeyError::Rejected)?;
        Ok((
            serde_json::to_string(&options).map_err(unavailable)?,
            serde_json::to_string(&state).map_err(unavailable)?,
        ))
    }

    /// Finishes a registration: verifies the browser's credential against `state` and keeps
    /// the passkey with `identity` under `username`.
    ///
    /// # Errors
    ///
    /// [`PasskeyError::Rejected`] when it does not verify; storage failures.
    pub async fn finish_registration(
        &self,
        username: &str,
        identity: &Identity,
        state: &str,
        credential: &str,
        now: u64,
    ) -> Result<(), PasskeyError> {
        let state: PasskeyRegistration =
            serde_json::from_str(state).map_err(|_| PasskeyError::Rejected)?;
        let credential: RegisterPublicKeyCredential =
            parse_credential(credential).ok_or(PasskeyError::Rejected)?;
        let passkey = self
            .webauthn
            .finish_passkey_registration(&credential, &state)
            .map_err(|_| PasskeyError::Rejected)?;
        let mut record = self.record(username).await?.unwrap_or(UserRecord {
            username: username.to_owned(),
            subject: identity.subject.clone(),
            email: identity.email.clone(),
            name: identity.name.clone(),
            password_hash: None,
            passkeys: Vec::new(),
            created_at: now,
        });
        if record.subject != identity.subject {
            // A directory record under this name belongs to someone else.
            return Err(PasskeyError::Rejected);
        }
        if record.passkeys.len() >= MAX_PASSKEYS_PER_USER {
            return Err(PasskeyError::TooMany);
        }
        record
            .passkeys
            .push(serde_json::to_value(&passkey).map_err(unavailable)?);
        self.store.put_user(record).await.map_err(unavailable)
    }

    /// Starts a sign-in with a passkey of `username`: the browser's options and the state.
    ///
    /// # Errors
    ///
    /// [`PasskeyError::Unknown`] when the user has no passkey; storage failures.
    pub async fn begin_authentication(
        &self,
        username: &str,
    ) -> Result<(String, String), PasskeyError> {
        let passkeys = self
            .record(username)
            .await?
            .map(|r| Self::passkeys_of(&r))
            .unwrap_or_default();
        if passkeys.is_empty() {
            return Err(PasskeyError::Unknown);
        }
        let (options, state) = self
            .webauthn
            .start_passkey_authentication(&passkeys)
            .map_err(|_| PasskeyError::Rejected)?;
        Ok((
            serde_json::to_string(&options).map_err(unavailable)?,
            serde_json::to_string(&state).map_err(unavailable)?,
        ))
    }

    /// Finishes a sign-in: verifies the assertion, updates the passkey's counter, and returns
    /// who signed in.
    ///
    /// # Errors
    ///
    /// [`PasskeyError::Rejected`] when it does not verify; storage failures.
    pub async fn finish_authentication(
        &self,
        username: &str,
        state: &str,
        credential: &str,
    ) -> Result<Identity, PasskeyError> {
        let state: PasskeyAuthentication =
            serde_json::from_str(state).map_err(|_| PasskeyError::Rejected)?;
        let credential: PublicKeyCredential =
            parse_credential(credential).ok_or(PasskeyError::Rejected)?;
        let result = self
            .webauthn
            .finish_passkey_authentication(&credential, &state)
            .map_err(|_| PasskeyError::Rejected)?;
        let mut record = self.record(username).await?.ok_or(PasskeyError::Unknown)?;
        let mut passkeys = Self::passkeys_of(&record);
        let mut known = false;
        for passkey in &mut passkeys {
            if passkey.update_credential(&result).is_some() {
                known = true;
            }
        }
        if !known {
            return Err(PasskeyError::Unknown);
        }
        record.passkeys = passkeys
            .iter()
            .filter_map(|p| serde_json::to_value(p).ok())
            .collect();
        let identity = Identity {
            subject: record.subject.clone(),
            email: record.email.clone(),
            name: record.name.clone(),
            claims: Default::default(),
        };
        self.store.put_user(record).await.map_err(unavailable)?;
        Ok(identity)
    }
}

fn parse_credential<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    (text.len() <= MAX_CREDENTIAL_BYTES)
        .then(|| serde_json::from_str(text).ok())
        .flatten()
}
