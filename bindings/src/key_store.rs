//! The app's key store, implemented in Swift (Keychain) or Kotlin (Keystore), and its adapter to
//! the core's `KeyStore`. Key bytes crossing the boundary are zeroized once copied.

use crate::ApiError;
use heirloom_core::keystore::{self as core, KeyStoreError, SecretKey};
use std::sync::Arc;
use zeroize::Zeroize;

/// Keeps Heirloom's secrets (32-byte keys) in the platform's secure storage.
#[uniffi::export(with_foreign)]
pub trait KeyStore: Send + Sync {
    /// The secret stored under `name`, or null if none.
    fn load(&self, name: String) -> Result<Option<Vec<u8>>, ApiError>;
    /// Stores `secret` under `name`, replacing any previous value.
    fn store(&self, name: String, secret: Vec<u8>) -> Result<(), ApiError>;
}

/// A key store in a single owner-only file: for desktops and tests, not for phones.
#[uniffi::export]
pub fn file_key_store(path: String) -> Arc<dyn KeyStore> {
    Arc::new(FileKeys(core::FileKeyStore::new(path)))
}

struct FileKeys(core::FileKeyStore);

impl KeyStore for FileKeys {
    fn load(&self, name: String) -> Result<Option<Vec<u8>>, ApiError> {
        Ok(core::KeyStore::load(&self.0, &name)?.map(|k| k.expose().to_vec()))
    }

    fn store(&self, name: String, mut secret: Vec<u8>) -> Result<(), ApiError> {
        let key = SecretKey::from_slice(&secret);
        secret.zeroize();
        let key = key.ok_or(ApiError::InvalidInput { reason: "a key is 32 bytes".into() })?;
        Ok(core::KeyStore::store(&self.0, &name, &key)?)
    }
}

/// Presents the app's key store to the core.
pub(crate) struct HostKeys(pub Arc<dyn KeyStore>);

impl std::fmt::Debug for HostKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HostKeys")
    }
}

fn host_failure(e: ApiError) -> KeyStoreError {
    let reason = match e {
        ApiError::KeyStore { reason } => reason,
        other => other.to_string(),
    };
    KeyStoreError::Unavailable { reason }
}

impl core::KeyStore for HostKeys {
    fn load(&self, name: &str) -> Result<Option<SecretKey>, KeyStoreError> {
        let Some(mut bytes) = self.0.load(name.to_owned()).map_err(host_failure)? else {
            return Ok(None);
        };
        let key = SecretKey::from_slice(&bytes);
        bytes.zeroize();
        key.map(Some).ok_or_else(|| KeyStoreError::Malformed { name: name.to_owned() })
    }

    fn store(&self, name: &str, secret: &SecretKey) -> Result<(), KeyStoreError> {
        self.0.store(name.to_owned(), secret.expose().to_vec()).map_err(host_failure)
    }
}
