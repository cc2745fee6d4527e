//! The on-disk recording format: header, per-file key, chunk sealing.

use super::CaptureError;
use crate::keystore::SecretKey;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

pub(crate) const MAGIC: &[u8; 8] = b"HLAUDIO\0";
pub(crate) const VERSION: u16 = 1;
pub(crate) const HEADER_LEN: usize = 8 + 2 + 4 + 2 + 16;
pub(crate) const TAG_LEN: usize = 16;
/// Largest plaintext chunk: one second of 48 kHz stereo i16.
pub(crate) const MAX_CHUNK_PLAINTEXT: usize = 48_000 * 2 * 2;

/// What the header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub sample_rate: u32,
    pub channels: u16,
    pub file_id: [u8; 16],
}

impl Header {
    pub(crate) fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[..8].copy_from_slice(MAGIC);
        out[8..10].copy_from_slice(&VERSION.to_le_bytes());
        out[10..14].copy_from_slice(&self.sample_rate.to_le_bytes());
        out[14..16].copy_from_slice(&self.channels.to_le_bytes());
        out[16..32].copy_from_slice(&self.file_id);
        out
    }

    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, CaptureError> {
        if bytes.len() < HEADER_LEN {
            return Err(CaptureError::NotARecording { reason: "header cut short" });
        }
        if &bytes[..8] != MAGIC {
            return Err(CaptureError::NotARecording { reason: "wrong magic" });
        }
        if u16::from_le_bytes([bytes[8], bytes[9]]) != VERSION {
            return Err(CaptureError::NotARecording { reason: "unknown version" });
        }
        let sample_rate = u32::from_le_bytes([bytes[10], bytes[11], bytes[12], bytes[13]]);
        let channels = u16::from_le_bytes([bytes[14], bytes[15]]);
        check_format(sample_rate, channels)?;
        let mut file_id = [0u8; 16];
        file_id.copy_from_slice(&bytes[16..32]);
        Ok(Self { sample_rate, channels, file_id })
    }
}

/// The formats the shells may push: 8–48 kHz, mono or stereo.
pub(crate) fn check_format(sample_rate: u32, channels: u16) -> Result<(), CaptureError> {
    if !(8_000..=48_000).contains(&sample_rate) {
        return Err(CaptureError::UnsupportedFormat { reason: "sample rate outside 8-48 kHz" });
    }
    if !(1..=2).contains(&channels) {
        return Err(CaptureError::UnsupportedFormat { reason: "only mono or stereo" });
    }
    Ok(())
}

/// Seals and opens the chunks of one file.
pub(crate) struct ChunkCipher {
    cipher: ChaCha20Poly1305,
    aad: [u8; HEADER_LEN],
}

impl ChunkCipher {
    /// The file's own key: HKDF-SHA256 of the audio key, salted with the file id.
    pub(crate) fn new(audio_key: &SecretKey, header: &Header) -> Self {
        let mut okm = zeroize::Zeroizing::new([0u8; 32]);
        let hk = hkdf::Hkdf::<sha2::Sha256>::new(Some(&header.file_id), audio_key.expose());
        // 32 bytes is far below HKDF-SHA256's output limit: expand cannot fail.
        let _ = hk.expand(b"heirloom/audio/file", okm.as_mut_slice());
        let cipher = ChaCha20Poly1305::new(&Key::from(*okm));
        Self { cipher, aad: header.encode() }
    }

    fn nonce(index: u64, last: bool) -> Nonce {
        let mut n = [0u8; 12];
        n[..8].copy_from_slice(&index.to_le_bytes());
        n[8] = u8::from(last);
        Nonce::from(n)
    }

    pub(crate) fn seal(
        &self,
        index: u64,
        last: bool,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CaptureError> {
        let payload = Payload { msg: plaintext, aad: &self.aad };
        self.cipher.encrypt(&Self::nonce(index, last), payload).map_err(|_| CaptureError::Io {
            op: "encrypt audio",
            kind: std::io::ErrorKind::InvalidInput,
        })
    }

    /// Opens chunk `index`, trying "not last" then "last"; returns the plaintext and whether it
    /// was the last chunk.
    pub(crate) fn open(
        &self,
        index: u64,
        ciphertext: &[u8],
    ) -> Result<(Vec<u8>, bool), CaptureError> {
        for last in [false, true] {
            let payload = Payload { msg: ciphertext, aad: &self.aad };
            if let Ok(plain) = self.cipher.decrypt(&Self::nonce(index, last), payload) {
                return Ok((plain, last));
            }
        }
        Err(CaptureError::Tampered { index })
    }
}
