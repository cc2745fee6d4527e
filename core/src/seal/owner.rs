//! The owner's identity: an X25519 key to receive shares and an Ed25519 key to sign consent,
//! both derived from one 32-byte seed generated on the device and held only through the
//! [`KeyStore`]. A recovery kit — the seed as a printable, checksummed code — restores both on a
//! new phone; losing keys is the top complaint of end-to-end encrypted journal users.

use super::bech32;
use super::keys::{Identity, Recipient};
use super::signing::{SigningIdentity, VerifyingKey};
use super::SealError;
use crate::keystore::{KeyStore, SecretKey};
use sha2::Sha256;
use std::fmt;
use zeroize::Zeroizing;

/// Key store entry holding the owner's seed.
pub const OWNER_SEED_KEY: &str = "owner/identity-seed";
const KIT_HRP: &str = "heirloom";
const GROUP: usize = 5;

fn derive(seed: &SecretKey, info: &[u8]) -> SecretKey {
    let mut okm = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF's limit: expand cannot fail.
    let _ = hkdf::Hkdf::<Sha256>::new(Some(b"heirloom owner identity v1"), seed.expose())
        .expand(info, okm.as_mut_slice());
    SecretKey::from_bytes(*okm)
}

/// The owner's public keys: what others seal to and check signatures with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnerPublic {
    pub recipient: Recipient,
    pub verifying_key: VerifyingKey,
}

/// The owner's secret keys. Zeroized on drop; `Debug` shows only the public keys.
#[derive(Clone)]
pub struct OwnerKeys {
    seed: SecretKey,
    identity: Identity,
    signing: SigningIdentity,
}

impl fmt::Debug for OwnerKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnerKeys").field("public", &self.public()).finish_non_exhaustive()
    }
}

impl OwnerKeys {
    fn from_seed(seed: SecretKey) -> Self {
        let identity = Identity::from_secret(&derive(&seed, b"x25519"));
        let signing = SigningIdentity::from_seed(&derive(&seed, b"ed25519"));
        Self { seed, identity, signing }
    }

    /// The owner's keys if this device has them.
    pub fn load(store: &dyn KeyStore) -> Result<Option<Self>, SealError> {
        Ok(store.load(OWNER_SEED_KEY)?.map(Self::from_seed))
    }

    /// The owner's keys, generating and storing them on first use.
    pub fn load_or_create(store: &dyn KeyStore) -> Result<Self, SealError> {
        if let Some(keys) = Self::load(store)? {
            return Ok(keys);
        }
        let seed = SecretKey::generate().map_err(|_| SealError::Randomness)?;
        store.store(OWNER_SEED_KEY, &seed)?;
        Ok(Self::from_seed(seed))
    }

    /// Restores the keys from a recovery code onto this device. Refuses to replace a different
    /// identity already here (that would orphan everything sealed to it).
    pub fn restore(store: &dyn KeyStore, code: &str) -> Result<Self, SealError> {
        let seed = parse_recovery_code(code)?;
        if let Some(existing) = store.load(OWNER_SEED_KEY)? {
            if existing != seed {
                return Err(SealError::IdentityExists);
            }
        } else {
            store.store(OWNER_SEED_KEY, &seed)?;
        }
        Ok(Self::from_seed(seed))
    }

    /// The public keys.
    pub fn public(&self) -> OwnerPublic {
        OwnerPublic {
            recipient: self.identity.recipient(),
            verifying_key: self.signing.verifying_key(),
        }
    }

    /// Opens what was sealed to the owner.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// Signs consent and revocations.
    pub fn signing(&self) -> &SigningIdentity {
        &self.signing
    }

    /// The recovery code: `HEIRLOOM1` and the seed in Bech32, in groups of five for writing down.
    /// A typo anywhere is caught by the checksum rather than restoring the wrong keys.
    pub fn recovery_code(&self) -> Zeroizing<String> {
        let code = bech32::encode(KIT_HRP, self.seed.expose()).to_ascii_uppercase();
        let body = &code[KIT_HRP.len() + 1..];
        let mut out = Zeroizing::new(String::with_capacity(code.len() * 2));
        out.push_str(&code[..KIT_HRP.len() + 1]);
        for (i, c) in body.chars().enumerate() {
            if i % GROUP == 0 {
                out.push(' ');
            }
            out.push(c);
        }
        out
    }

    /// The printable recovery kit: the code and what to do with it.
    pub fn recovery_kit(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "HEIRLOOM RECOVERY KIT\n\n\
             Keep this page somewhere safe. Anyone holding it can read your sealed memories.\n\
             To move to a new phone, choose \"Restore from recovery kit\" and type this code:\n\n\
             {}\n\n\
             Public key (safe to share): {}\n",
            self.recovery_code().as_str(),
            self.identity.recipient()
        ))
    }
}

/// Reads a recovery code as typed: case, spaces and dashes do not matter.
pub fn parse_recovery_code(code: &str) -> Result<SecretKey, SealError> {
    let compact: Zeroizing<String> = Zeroizing::new(
        code.chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect::<String>()
            .to_ascii_lowercase(),
    );
    let data = bech32::decode(&compact, KIT_HRP).map_err(|_| SealError::InvalidRecoveryCode)?;
    SecretKey::from_slice(&data).ok_or(SealError::InvalidRecoveryCode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keystore::FileKeyStore;
    use crate::seal::{open, seal};

    #[test]
    fn a_new_phone_restores_both_keys_from_the_kit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let old_phone = FileKeyStore::new(dir.path().join("old"));
        let keys = OwnerKeys::load_or_create(&old_phone).expect("create");
        assert_eq!(OwnerKeys::load_or_create(&old_phone).expect("load").public(), keys.public());
        let (sealed, _) =
            seal(&[keys.public().recipient], &b"for later"[..], Vec::new()).expect("seal");
        let mut consent = serde_json::json!({"purpose": "backup"});
        keys.signing().sign_document(&mut consent).expect("sign");

        // Typed back in by hand: lowercase, dashes, extra spaces.
        let typed = keys.recovery_code().to_lowercase().replace(' ', " - ");
        let new_phone = FileKeyStore::new(dir.path().join("new"));
        assert!(OwnerKeys::load(&new_phone).expect("load").is_none());
        let restored = OwnerKeys::restore(&new_phone, &typed).expect("restore");
        assert_eq!(restored.public(), keys.public());
        let (plain, _) =
            open(&[restored.identity().clone()], &sealed[..], Vec::new()).expect("open");
        assert_eq!(plain, b"for later");
        keys.public().verifying_key.verify_document(&consent).expect("old consent verifies");
        assert_eq!(
            OwnerKeys::load(&new_phone).expect("load").map(|k| k.public()),
            Some(keys.public())
        );
    }

    #[test]
    fn typos_and_a_different_identity_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FileKeyStore::new(dir.path().join("keys"));
        let keys = OwnerKeys::load_or_create(&store).expect("create");
        let code = keys.recovery_code();
        let mut typo: Vec<char> = code.chars().collect();
        let i = typo.len() - 12;
        assert!(typo[i].is_ascii_alphanumeric() || typo[i + 1].is_ascii_alphanumeric());
        let i = if typo[i] == ' ' { i + 1 } else { i };
        typo[i] = if typo[i] == 'Q' { 'P' } else { 'Q' };
        let typo: String = typo.into_iter().collect();
        assert!(matches!(parse_recovery_code(&typo), Err(SealError::InvalidRecoveryCode)));
        assert!(matches!(
            parse_recovery_code("HEIRLOOM1 QQQQ"),
            Err(SealError::InvalidRecoveryCode)
        ));
        let other = OwnerKeys::load_or_create(&FileKeyStore::new(dir.path().join("b"))).expect("b");
        assert!(matches!(
            OwnerKeys::restore(&store, &other.recovery_code()),
            Err(SealError::IdentityExists)
        ));
        OwnerKeys::restore(&store, &code).expect("the same identity again is fine");
        let kit = keys.recovery_kit();
        assert!(kit.contains(code.as_str()) && kit.contains(&keys.public().recipient.to_string()));
        assert!(!format!("{keys:?}").contains(&code[10..20]));
    }
}
