//! The enclave's keys, derived the way rofl-appd derives them inside an Oasis ROFL TEE: one
//! root secret, and a key per key id and kind (`/rofl/v1/keys/generate` with `raw-256` or
//! `ed25519`). Here the root is a file (owner-only); in ROFL it never leaves the TEE.
//!
//! - `bundle-signing` (ed25519): signs key bundles and receipts; the app pins its public half.
//! - `upload/epoch-N` (raw-256): used as the X25519 secret for epoch N (ROFL offers no X25519
//!   kind; X25519 clamps any 32 bytes into a valid scalar).

use heirloom_core::keystore::SecretKey;
use heirloom_core::seal::{Identity, SigningIdentity};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;
use zeroize::Zeroizing;

/// Key id of the signing key.
pub const SIGNING_KEY_ID: &str = "bundle-signing";

/// Errors reading or creating the root secret.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot {op} the enclave root key: {kind}")]
    Io { op: &'static str, kind: std::io::ErrorKind },
    #[error("the enclave root key file is malformed")]
    Malformed,
    #[error("no system randomness")]
    Randomness,
}

/// The kinds rofl-appd offers that we use.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Raw256,
    Ed25519,
}

/// The root secret and what is derived from it.
pub struct EnclaveKeys {
    root: SecretKey,
    signing: SigningIdentity,
    measurement: String,
}

impl std::fmt::Debug for EnclaveKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnclaveKeys")
            .field("signer", &self.signing.verifying_key())
            .field("measurement", &self.measurement)
            .finish_non_exhaustive()
    }
}

fn derive(root: &SecretKey, key_id: &str, kind: Kind) -> SecretKey {
    let mut okm = Zeroizing::new([0u8; 32]);
    let info = format!(
        "{}:{key_id}",
        match kind {
            Kind::Raw256 => "raw-256",
            Kind::Ed25519 => "ed25519",
        }
    );
    // 32 bytes is far below HKDF's limit: expand cannot fail.
    let _ = hkdf::Hkdf::<Sha256>::new(Some(b"heirloom reference enclave keys v1"), root.expose())
        .expand(info.as_bytes(), okm.as_mut_slice());
    SecretKey::from_bytes(*okm)
}

/// SHA-256 of the running executable: a stand-in for the TEE's code measurement until remote
/// attestation is verified (see docs/SECURITY.md).
fn self_measurement() -> String {
    let digest = std::env::current_exe()
        .and_then(std::fs::read)
        .map(|bytes| Sha256::digest(&bytes).to_vec())
        .unwrap_or_default();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl EnclaveKeys {
    /// Loads the root secret from `dir/root.key`, creating it (0600) on first start.
    pub fn load_or_create(dir: &Path) -> Result<Self, KeyError> {
        let io = |op| move |e: std::io::Error| KeyError::Io { op, kind: e.kind() };
        std::fs::create_dir_all(dir).map_err(io("create the folder of"))?;
        let path = dir.join("root.key");
        let root = match std::fs::read_to_string(&path) {
            Ok(text) => SecretKey::from_hex(&Zeroizing::new(text)).ok_or(KeyError::Malformed)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let root = SecretKey::generate().map_err(|_| KeyError::Randomness)?;
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(&path).map_err(io("create"))?;
                file.write_all(root.to_hex().as_bytes()).map_err(io("write"))?;
                file.sync_all().map_err(io("write"))?;
                root
            }
            Err(e) => return Err(io("read")(e)),
        };
        Ok(Self::from_root(root))
    }

    /// Keys from a given root (tests).
    pub fn from_root(root: SecretKey) -> Self {
        let signing = SigningIdentity::from_seed(&derive(&root, SIGNING_KEY_ID, Kind::Ed25519));
        Self { root, signing, measurement: self_measurement() }
    }

    /// Signs bundles and receipts.
    pub fn signing(&self) -> &SigningIdentity {
        &self.signing
    }

    /// The X25519 identity uploads of `epoch` are sealed to.
    pub fn upload_identity(&self, epoch: u64) -> Identity {
        Identity::from_secret(&derive(&self.root, &format!("upload/epoch-{epoch}"), Kind::Raw256))
    }

    /// Hex digest standing in for the enclave code measurement.
    pub fn measurement(&self) -> &str {
        &self.measurement
    }
}
