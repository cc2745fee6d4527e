//! Where the store's secrets come from. The app supplies a [`KeyStore`] (Keychain on iOS,
//! Keystore on Android, [`FileKeyStore`] on desktops and in tests); the core never reaches for a
//! platform key store itself. Key material is held in [`SecretKey`], which zeroizes on drop and
//! never shows its bytes in `Debug`.

mod file;

pub use file::FileKeyStore;

use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Errors from a key store.
#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    /// The platform key store refused or failed; `reason` never contains key material.
    #[error("key store unavailable: {reason}")]
    Unavailable { reason: String },
    /// A stored key is not the expected shape (length, encoding).
    #[error("stored key {name} is malformed")]
    Malformed { name: String },
}

/// A host capability that keeps small named secrets (32-byte keys) safe.
///
/// Implementations must be thread-safe: the core may ask from any thread.
pub trait KeyStore: Send + Sync {
    /// Returns the secret stored under `name`, or `None` if there is none yet.
    fn load(&self, name: &str) -> Result<Option<SecretKey>, KeyStoreError>;
    /// Stores `secret` under `name`, replacing any previous value.
    fn store(&self, name: &str, secret: &SecretKey) -> Result<(), KeyStoreError>;
}

/// A 32-byte secret key. Zeroized on drop; `Debug` prints no key bytes.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    /// Key length in bytes.
    pub const LEN: usize = 32;

    /// Wraps raw key bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Copies a key from a slice; `None` unless it is exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        let arr: [u8; 32] = bytes.try_into().ok()?;
        Some(Self(arr))
    }

    /// A fresh key from the operating system's CSPRNG.
    pub fn generate() -> Result<Self, KeyStoreError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)
            .map_err(|_| KeyStoreError::Unavailable { reason: "no system randomness".into() })?;
        Ok(Self(bytes))
    }

    /// A key for another purpose (`purpose` names it, e.g. `"heirloom/audio/v1"`), derived with
    /// HKDF-SHA256: one secret unlocks a family of keys, and no derived key can be turned back
    /// into this one.
    pub fn derive(&self, purpose: &str) -> SecretKey {
        let mut okm = Zeroizing::new([0u8; 32]);
        let hk = hkdf::Hkdf::<sha2::Sha256>::new(None, &self.0);
        // 32 bytes is far below HKDF-SHA256's limit of 8,160, so expand cannot fail.
        let _ = hk.expand(purpose.as_bytes(), okm.as_mut_slice());
        Self(*okm)
    }

    /// The raw bytes; keep the borrow short.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex, in a buffer that is zeroized when dropped.
    pub fn to_hex(&self) -> Zeroizing<String> {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = Zeroizing::new(String::with_capacity(64));
        for b in self.0 {
            out.push(DIGITS[(b >> 4) as usize] as char);
            out.push(DIGITS[(b & 0xf) as usize] as char);
        }
        out
    }

    /// Parses 64 hex digits (surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Option<Self> {
        let text = text.trim().as_bytes();
        if text.len() != 64 {
            return None;
        }
        let mut bytes = Zeroizing::new([0u8; 32]);
        for (i, pair) in text.chunks_exact(2).enumerate() {
            let hi = (pair[0] as char).to_digit(16)?;
            let lo = (pair[1] as char).to_digit(16)?;
            bytes[i] = (hi * 16 + lo) as u8;
        }
        Some(Self(*bytes))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_key_bytes() {
        let key = SecretKey::from_bytes([0xab; 32]);
        let shown = format!("{key:?}");
        assert!(!shown.contains("ab"), "{shown}");
        assert!(!shown.contains("171"), "{shown}");
    }

    #[test]
    fn hex_round_trip_and_rejects_bad_text() {
        let key = SecretKey::generate().expect("randomness");
        let hex = key.to_hex();
        assert_eq!(SecretKey::from_hex(&hex), Some(key));
        assert_eq!(SecretKey::from_hex("abc"), None);
        assert_eq!(SecretKey::from_hex(&"zz".repeat(32)), None);
        assert_eq!(SecretKey::from_hex(&"é".repeat(32)), None);
    }

    #[test]
    fn generated_keys_differ() {
        let a = SecretKey::generate().expect("randomness");
        let b = SecretKey::generate().expect("randomness");
        assert_ne!(a, b);
    }
}
