//! Small authenticated envelopes for keys and profiles kept in the kiosk's device database:
//! ChaCha20-Poly1305 with a random nonce, bound by associated data to what they belong to (a
//! staff id, a resident id and a secret's name), so a wrapped blob moved to another row fails
//! to open instead of unlocking the wrong vault.

use super::KioskError;
use crate::keystore::SecretKey;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use zeroize::Zeroizing;

const NONCE: usize = 12;

fn aad(context: &[&[u8]]) -> Vec<u8> {
    let mut out = b"heirloom kiosk wrap v1".to_vec();
    for part in context {
        out.extend_from_slice(&(part.len() as u32).to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

/// Encrypts `plain` under `key`, bound to `context`.
pub(crate) fn seal(
    key: &SecretKey,
    context: &[&[u8]],
    plain: &[u8],
) -> Result<Vec<u8>, KioskError> {
    let mut nonce = [0u8; NONCE];
    getrandom::fill(&mut nonce).map_err(|_| KioskError::Randomness)?;
    let cipher = ChaCha20Poly1305::new(&Key::from(*key.expose()));
    let sealed = cipher
        .encrypt(&Nonce::from(nonce), Payload { msg: plain, aad: &aad(context) })
        .map_err(|_| KioskError::Crypto)?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Opens what [`seal`] made; `None` for a wrong key, a wrong context or altered bytes.
pub(crate) fn open(key: &SecretKey, context: &[&[u8]], blob: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if blob.len() < NONCE + 16 {
        return None;
    }
    let (nonce, body) = blob.split_at(NONCE);
    let nonce: [u8; NONCE] = nonce.try_into().ok()?;
    let cipher = ChaCha20Poly1305::new(&Key::from(*key.expose()));
    cipher
        .decrypt(&Nonce::from(nonce), Payload { msg: body, aad: &aad(context) })
        .ok()
        .map(Zeroizing::new)
}

/// Wraps a key.
pub(crate) fn wrap_key(
    kek: &SecretKey,
    context: &[&[u8]],
    key: &SecretKey,
) -> Result<Vec<u8>, KioskError> {
    seal(kek, context, key.expose())
}

/// Unwraps a key; `None` if it does not open.
pub(crate) fn unwrap_key(kek: &SecretKey, context: &[&[u8]], blob: &[u8]) -> Option<SecretKey> {
    open(kek, context, blob).and_then(|bytes| SecretKey::from_slice(&bytes))
}
