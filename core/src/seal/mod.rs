//! Sealing: everything that leaves the device is encrypted here first, in the age v1 format
//! (age-encryption.org/v1: X25519 recipient stanzas, HKDF-SHA256, ChaCha20-Poly1305 STREAM in
//! 64 KiB chunks), so only the chosen recipients — the attested enclave, or family members —
//! can open it, and any file can be checked with the `age` tool.
//!
//! Built on `x25519-dalek` 3, `chacha20poly1305` 0.11, `hkdf` 0.13, `hmac` 0.13 and `sha2` 0.11:
//! one RustCrypto generation, the same one the audio store uses. The `age` crate pins the
//! previous generation, which would put two crypto stacks in the binary.
//!
//! Supported: X25519 recipients, any number per file, any payload size in constant memory.
//! Not supported, refused with [`SealError::Unsupported`] and never half-read: ASCII armor,
//! passphrase (scrypt) files, post-quantum hybrid and plugin recipients.

mod age;
pub(crate) mod bech32;
mod bundle;
mod header;
mod keys;
mod owner;
mod signing;
mod stream;

pub use age::{open, seal, OpenSummary, Opener, SealSummary, Sealer};
pub use bundle::{verify_bundle, EnclaveKey, VerifiedEnclaveKey, BUNDLE_FORMAT};
pub use header::{Header, Stanza};
pub use keys::{parse_identity_file, Identity, Recipient};
pub use owner::{parse_recovery_code, OwnerKeys, OwnerPublic, OWNER_SEED_KEY};
pub use signing::{canonical_json, signed_bytes, SigningIdentity, VerifyingKey, SIGNATURE_FIELD};
pub use stream::CHUNK;
pub(crate) use stream::{StreamReader, StreamWriter};

/// Errors from sealing and opening. None carries key material or plaintext.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// Not an `age1…` X25519 recipient (or a low-order key no one can hold).
    #[error("not a valid age recipient")]
    InvalidRecipient,
    /// Not an `AGE-SECRET-KEY-1…` identity, or an identity file with none.
    #[error("not a valid age identity")]
    InvalidIdentity,
    /// Sealing needs at least one recipient.
    #[error("no recipients to seal to")]
    NoRecipients,
    /// A valid age feature Heirloom does not implement.
    #[error("unsupported age feature: {feature}")]
    Unsupported { feature: &'static str },
    /// The header breaks the format; `reason` names the rule.
    #[error("malformed age header: {reason}")]
    Header { reason: &'static str },
    /// None of the identities opens any recipient stanza.
    #[error("none of the given identities can open this file")]
    NoMatch,
    /// The header was altered after sealing.
    #[error("the header's MAC does not match: the file was altered")]
    HeaderMac,
    /// The payload was altered, truncated or extended; chunks before `chunk` were authentic.
    #[error("payload chunk {chunk}: {reason}")]
    Payload { chunk: u64, reason: &'static str },
    /// A signed document or key is not the expected shape; `what` names which.
    #[error("malformed {what}")]
    Malformed { what: &'static str },
    /// A signature does not verify.
    #[error("signature does not verify")]
    BadSignature,
    /// A key bundle signed by a key the app does not pin.
    #[error("enclave key bundle signed by a key that is not pinned")]
    UntrustedSigner,
    /// A key bundle whose validity window has not started.
    #[error("enclave key bundle is not valid yet")]
    BundleNotYetValid,
    /// A key bundle past its expiry.
    #[error("enclave key bundle has expired")]
    BundleExpired,
    /// A key bundle older than one already accepted: a rollback.
    #[error("enclave key epoch {offered} is older than epoch {seen} already accepted")]
    BundleRollback { seen: u64, offered: u64 },
    /// A recovery code that does not check out (a typo, or not a Heirloom code).
    #[error("the recovery code is not valid: check it for typos")]
    InvalidRecoveryCode,
    /// Restoring would replace a different identity already on this device.
    #[error("this device already holds a different owner identity")]
    IdentityExists,
    /// The key store failed.
    #[error(transparent)]
    KeyStore(#[from] crate::keystore::KeyStoreError),
    /// The operating system gave no randomness.
    #[error("no system randomness")]
    Randomness,
    /// A primitive refused its input (cannot happen with well-formed inputs).
    #[error("crypto failure while {what}")]
    Crypto { what: &'static str },
    /// Reading or writing failed.
    #[error("i/o error while sealing or opening: {0}")]
    Io(#[from] std::io::Error),
}

/// The fuzz target's body: parses and opens untrusted bytes to the end, whatever happens. Used by
/// `core/fuzz` (cargo-fuzz) and by a mutation test on stable; never panics.
#[doc(hidden)]
pub fn fuzz_open(data: &[u8], identities: &[Identity]) {
    if let Ok(mut opener) = Opener::new(identities, data) {
        while let Ok(Some(_)) = opener.next_chunk() {}
    }
}

#[cfg(test)]
mod tests;
