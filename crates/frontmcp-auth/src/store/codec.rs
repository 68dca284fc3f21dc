//! How records become stored bytes: JSON, optionally encrypted at rest.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{StoreError, StoreResult};
use crate::secrets::{open_for, seal_for};

const PURPOSE: &str = "store at rest";

/// Serializes records, sealing them with AES-256-GCM when a secret is configured. Each value is
/// bound to the key it is stored under, so an encrypted value moved to another row does not
/// open.
#[derive(Clone, Default)]
pub struct Codec {
    secret: Option<String>,
}

impl std::fmt::Debug for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Codec")
            .field("encrypted", &self.secret.is_some())
            .finish()
    }
}

impl Codec {
    /// Plain JSON.
    pub fn plain() -> Self {
        Self { secret: None }
    }

    /// JSON sealed under a key derived from `secret`.
    pub fn encrypted(secret: impl Into<String>) -> Self {
        Self {
            secret: Some(secret.into()),
        }
    }

    /// Whether values are encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.secret.is_some()
    }

    /// The stored form of `value`, kept under `key`.
    pub fn encode<T: Serialize>(&self, key: &str, value: &T) -> StoreResult<Vec<u8>> {
        let json = serde_json::to_vec(value)
            .map_err(|e| StoreError::Unavailable(format!("cannot serialize a record: {e}")))?;
        self.seal(key, &json)
    }

    /// Reads back what [`Codec::encode`] stored under `key`.
    pub fn decode<T: DeserializeOwned>(&self, key: &str, stored: &[u8]) -> StoreResult<T> {
        let json = self.open(key, stored)?;
        serde_json::from_slice(&json)
            .map_err(|e| StoreError::Unavailable(format!("a stored record is unreadable: {e}")))
    }

    /// Seals raw bytes kept under `key` (identity without a secret).
    pub fn seal(&self, key: &str, bytes: &[u8]) -> StoreResult<Vec<u8>> {
        match &self.secret {
            None => Ok(bytes.to_vec()),
            Some(secret) => seal_for(PURPOSE, secret, key.as_bytes(), bytes)
                .ok_or_else(|| StoreError::Unavailable("encryption failed".to_owned())),
        }
    }

    /// Opens raw bytes sealed under `key`.
    pub fn open(&self, key: &str, stored: &[u8]) -> StoreResult<Vec<u8>> {
        match &self.secret {
            None => Ok(stored.to_vec()),
            Some(secret) => open_for(PURPOSE, secret, key.as_bytes(), stored).ok_or_else(|| {
                StoreError::Unavailable(
                    "a stored record does not decrypt: wrong encryption secret?".to_owned(),
                )
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypted_values_are_bound_to_their_key_and_secret() {
        let codec = Codec::encrypted("s3cret");
        let stored = codec.encode("client:a", &"visible name").expect("encode");
        assert!(!String::from_utf8_lossy(&stored).contains("visible name"));
        assert_eq!(
            codec.decode::<String>("client:a", &stored).expect("decode"),
            "visible name"
        );
        assert!(codec.decode::<String>("client:b", &stored).is_err());
        assert!(
            Codec::encrypted("other")
                .decode::<String>("client:a", &stored)
                .is_err()
        );
        let plain = Codec::plain().encode("k", &"x").expect("encode");
        assert_eq!(plain, b"\"x\"");
    }
}
