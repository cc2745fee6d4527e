//! age X25519 keys: a [`Recipient`] (`age1…`, public, safe to show and log) and an [`Identity`]
//! (`AGE-SECRET-KEY-1…`, secret: zeroized on drop, never in `Debug`). Identity files use age's own
//! format, so keys move freely between Heirloom and the `age` / `age-keygen` tools.

use super::bech32::{self, Bech32Error};
use super::SealError;
use crate::keystore::SecretKey;
use std::fmt;
use std::str::FromStr;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

const RECIPIENT_HRP: &str = "age";
const IDENTITY_HRP: &str = "age-secret-key-";

/// Someone a file can be sealed to: an X25519 public key, written `age1…`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Recipient(PublicKey);

impl Recipient {
    /// The recipient for raw X25519 public key bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(PublicKey::from(bytes))
    }

    /// The raw public key.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    pub(crate) fn public_key(&self) -> &PublicKey {
        &self.0
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bech32::encode(RECIPIENT_HRP, self.0.as_bytes()))
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Recipient({self})")
    }
}

impl FromStr for Recipient {
    type Err = SealError;

    fn from_str(text: &str) -> Result<Self, SealError> {
        let text = text.trim();
        if text.to_ascii_lowercase().starts_with("age1pq1") {
            return Err(SealError::Unsupported { feature: "post-quantum hybrid recipients" });
        }
        if text.starts_with("ssh-") {
            return Err(SealError::Unsupported { feature: "SSH recipients" });
        }
        // age writes recipients in lowercase only.
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(SealError::InvalidRecipient);
        }
        let data = bech32::decode(text, RECIPIENT_HRP).map_err(|_| SealError::InvalidRecipient)?;
        let bytes: [u8; 32] =
            data.as_slice().try_into().map_err(|_| SealError::InvalidRecipient)?;
        Ok(Self::from_bytes(bytes))
    }
}

/// A secret X25519 key that can open files sealed to its [`Recipient`]. Zeroized on drop.
#[derive(Clone)]
pub struct Identity {
    secret: StaticSecret,
    recipient: Recipient,
}

impl Identity {
    /// A fresh identity from the operating system's CSPRNG.
    pub fn generate() -> Result<Self, SealError> {
        let key = SecretKey::generate().map_err(|_| SealError::Randomness)?;
        Ok(Self::from_secret(&key))
    }

    /// The identity for 32 secret bytes kept in a key store.
    pub fn from_secret(key: &SecretKey) -> Self {
        let secret = StaticSecret::from(*key.expose());
        let recipient = Recipient(PublicKey::from(&secret));
        Self { secret, recipient }
    }

    /// The secret bytes, to hand to a key store.
    pub fn to_secret(&self) -> SecretKey {
        SecretKey::from_bytes(self.secret.to_bytes())
    }

    /// Who can be sealed to so that this identity opens it.
    pub fn recipient(&self) -> Recipient {
        self.recipient
    }

    /// `AGE-SECRET-KEY-1…`, in a buffer zeroized on drop.
    pub fn to_bech32(&self) -> Zeroizing<String> {
        let lower = bech32::encode(IDENTITY_HRP, self.secret.as_bytes());
        Zeroizing::new(lower.to_ascii_uppercase())
    }

    pub(crate) fn secret(&self) -> &StaticSecret {
        &self.secret
    }

    /// Writes an identity file in age-keygen's format (comment lines, then the key).
    pub fn to_identity_file(&self, created: &str) -> Zeroizing<String> {
        let key = self.to_bech32();
        Zeroizing::new(format!(
            "# created: {created}\n# public key: {}\n{}\n",
            self.recipient,
            key.as_str()
        ))
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Identity(<secret> for {})", self.recipient)
    }
}

impl FromStr for Identity {
    type Err = SealError;

    fn from_str(text: &str) -> Result<Self, SealError> {
        let text = text.trim();
        if text.to_ascii_uppercase().starts_with("AGE-SECRET-KEY-PQ-1") {
            return Err(SealError::Unsupported { feature: "post-quantum hybrid identities" });
        }
        if text.starts_with("AGE-PLUGIN-") {
            return Err(SealError::Unsupported { feature: "age plugins" });
        }
        // age writes identities in uppercase only.
        if text.bytes().any(|b| b.is_ascii_lowercase()) {
            return Err(SealError::InvalidIdentity);
        }
        let data = bech32::decode(text, IDENTITY_HRP).map_err(|e| match e {
            Bech32Error::Checksum | Bech32Error::Malformed | Bech32Error::WrongKind => {
                SealError::InvalidIdentity
            }
        })?;
        let bytes: &[u8] = data.as_slice();
        let key = SecretKey::from_slice(bytes).ok_or(SealError::InvalidIdentity)?;
        Ok(Self::from_secret(&key))
    }
}

/// Reads every identity in an age identity file: one per line, `#` comments and blank lines
/// skipped. An empty file, or any line that is not an identity, is refused.
pub fn parse_identity_file(text: &str) -> Result<Vec<Identity>, SealError> {
    let mut identities = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        identities.push(line.parse::<Identity>()?);
    }
    if identities.is_empty() {
        return Err(SealError::InvalidIdentity);
    }
    Ok(identities)
}
