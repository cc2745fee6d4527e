//! Identity sub-object: the owner's keys (made on the device, held only in the app's key
//! store), the recovery kit, and restoring from it on a new phone.

use crate::key_store::HostKeys;
use crate::sharing_types::OwnerPublicKeys;
use crate::ApiError;
use heirloom_core::seal::OwnerKeys;
use std::sync::Arc;

/// The owner's keys.
#[derive(Debug, uniffi::Object)]
pub struct Identity {
    keys: Arc<HostKeys>,
}

impl Identity {
    pub(crate) fn new(keys: Arc<HostKeys>) -> Self {
        Self { keys }
    }
}

fn public(keys: &OwnerKeys) -> OwnerPublicKeys {
    let p = keys.public();
    OwnerPublicKeys {
        recipient: p.recipient.to_string(),
        verifying_key: p.verifying_key.to_string(),
    }
}

#[uniffi::export]
impl Identity {
    /// The owner's public keys, creating the identity on first use.
    pub fn public_keys(&self) -> Result<OwnerPublicKeys, ApiError> {
        Ok(public(&OwnerKeys::load_or_create(self.keys.as_ref())?))
    }

    /// The recovery code (`HEIRLOOM1 …`); show it once, to be written down.
    pub fn recovery_code(&self) -> Result<String, ApiError> {
        Ok(OwnerKeys::load_or_create(self.keys.as_ref())?.recovery_code().to_string())
    }

    /// The printable recovery kit page.
    pub fn recovery_kit(&self) -> Result<String, ApiError> {
        Ok(OwnerKeys::load_or_create(self.keys.as_ref())?.recovery_kit().to_string())
    }

    /// Restores the identity on this device from a typed-in code. Refuses to replace a
    /// different identity already here.
    pub fn restore(&self, code: String) -> Result<OwnerPublicKeys, ApiError> {
        Ok(public(&OwnerKeys::restore(self.keys.as_ref(), &code)?))
    }
}
