//! The enclave key bundle: the enclave's X25519 upload key with its key id (epoch), validity
//! window and code measurement, signed with Ed25519 by the enclave's signing key. The app pins
//! the signing public keys; before sealing to an enclave key the core checks the signature, the
//! window and that the epoch never goes back, and refuses with a typed error otherwise.
//!
//! Remote attestation is not verified yet: the pinned signing key is the trust root (see
//! docs/SECURITY.md for how this maps onto Oasis ROFL).

use super::keys::Recipient;
use super::signing::{SigningIdentity, VerifyingKey};
use super::SealError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The `format` of a version-1 bundle.
pub const BUNDLE_FORMAT: &str = "heirloom-enclave-key/1";

/// An enclave upload key, as the enclave publishes it (before or after checking).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnclaveKey {
    /// `upload/epoch-N`: the ROFL key id the X25519 key is derived from.
    pub key_id: String,
    /// Rotation counter; never accepted lower than one already seen.
    pub epoch: u64,
    /// The age recipient to seal uploads to.
    pub recipient: String,
    /// Valid from (Unix seconds, inclusive).
    pub not_before: i64,
    /// Valid until (Unix seconds, exclusive).
    pub expires: i64,
    /// Hex digest of the enclave code that holds the key.
    pub measurement: String,
}

impl EnclaveKey {
    /// The bundle for this key, signed by the enclave (what `GET /v1/key-bundle` serves).
    pub fn sign(&self, signer: &SigningIdentity) -> Result<Value, SealError> {
        let mut doc = serde_json::to_value(self)
            .map_err(|_| SealError::Malformed { what: "enclave key bundle" })?;
        if let Some(map) = doc.as_object_mut() {
            map.insert("format".into(), BUNDLE_FORMAT.into());
            map.insert("signer".into(), signer.verifying_key().to_string().into());
        }
        signer.sign_document(&mut doc)?;
        Ok(doc)
    }
}

/// A bundle that passed every check: safe to seal to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedEnclaveKey {
    pub key: EnclaveKey,
    pub recipient: Recipient,
    /// Which pinned key signed it.
    pub signer: VerifyingKey,
}

/// Checks a bundle against the pinned signing keys, the time `now` (Unix seconds) and the highest
/// epoch this device has accepted before.
pub fn verify_bundle(
    bundle: &Value,
    pinned: &[VerifyingKey],
    now: i64,
    highest_epoch_seen: Option<u64>,
) -> Result<VerifiedEnclaveKey, SealError> {
    let malformed = SealError::Malformed { what: "enclave key bundle" };
    if bundle.get("format").and_then(Value::as_str) != Some(BUNDLE_FORMAT) {
        return Err(malformed);
    }
    let signer: VerifyingKey = bundle
        .get("signer")
        .and_then(Value::as_str)
        .ok_or(SealError::Malformed { what: "enclave key bundle" })?
        .parse()?;
    if !pinned.contains(&signer) {
        return Err(SealError::UntrustedSigner);
    }
    signer.verify_document(bundle)?;
    let key: EnclaveKey = serde_json::from_value(bundle.clone()).map_err(|_| malformed)?;
    if key.key_id != format!("upload/epoch-{}", key.epoch) || key.expires <= key.not_before {
        return Err(SealError::Malformed { what: "enclave key bundle" });
    }
    if now < key.not_before {
        return Err(SealError::BundleNotYetValid);
    }
    if now >= key.expires {
        return Err(SealError::BundleExpired);
    }
    if let Some(seen) = highest_epoch_seen {
        if key.epoch < seen {
            return Err(SealError::BundleRollback { seen, offered: key.epoch });
        }
    }
    let recipient: Recipient = key.recipient.parse()?;
    Ok(VerifiedEnclaveKey { key, recipient, signer })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seal::Identity;

    fn key(epoch: u64) -> (EnclaveKey, Identity) {
        let identity = Identity::generate().expect("identity");
        let key = EnclaveKey {
            key_id: format!("upload/epoch-{epoch}"),
            epoch,
            recipient: identity.recipient().to_string(),
            not_before: 1_000,
            expires: 2_000,
            measurement: "ab".repeat(32),
        };
        (key, identity)
    }

    #[test]
    fn a_good_bundle_verifies_and_names_its_recipient() {
        let signer = SigningIdentity::generate().expect("signer");
        let (k, identity) = key(3);
        let bundle = k.sign(&signer).expect("sign");
        let verified =
            verify_bundle(&bundle, &[signer.verifying_key()], 1_500, Some(3)).expect("verifies");
        assert_eq!(verified.recipient, identity.recipient());
        assert_eq!(verified.key, k);
    }

    #[test]
    fn forged_expired_early_and_rolled_back_bundles_are_refused() {
        let signer = SigningIdentity::generate().expect("signer");
        let pinned = [signer.verifying_key()];
        let (k, _) = key(3);
        let bundle = k.sign(&signer).expect("sign");
        assert!(matches!(
            verify_bundle(&bundle, &pinned, 999, None),
            Err(SealError::BundleNotYetValid)
        ));
        assert!(matches!(
            verify_bundle(&bundle, &pinned, 2_000, None),
            Err(SealError::BundleExpired)
        ));
        assert!(matches!(
            verify_bundle(&bundle, &pinned, 1_500, Some(4)),
            Err(SealError::BundleRollback { seen: 4, offered: 3 })
        ));
        // Swapping in an attacker's recipient breaks the signature.
        let mut swapped = bundle.clone();
        swapped["recipient"] = Identity::generate().expect("id").recipient().to_string().into();
        assert!(matches!(
            verify_bundle(&swapped, &pinned, 1_500, None),
            Err(SealError::BadSignature)
        ));
        // A bundle signed by a key the app does not pin, even if self-consistent.
        let forger = SigningIdentity::generate().expect("forger");
        let forged = k.sign(&forger).expect("sign");
        assert!(matches!(
            verify_bundle(&forged, &pinned, 1_500, None),
            Err(SealError::UntrustedSigner)
        ));
        // Claiming a pinned signer but signed by another key.
        let mut claimed = forged.clone();
        claimed["signer"] = signer.verifying_key().to_string().into();
        assert!(matches!(
            verify_bundle(&claimed, &pinned, 1_500, None),
            Err(SealError::BadSignature)
        ));
        // Extending the window is tampering too.
        let mut extended = bundle.clone();
        extended["expires"] = 9_999.into();
        assert!(matches!(
            verify_bundle(&extended, &pinned, 1_500, None),
            Err(SealError::BadSignature)
        ));
        assert!(verify_bundle(&serde_json::json!([1]), &pinned, 1_500, None).is_err());
    }
}
