//! age v1 files end to end: [`Sealer`] writes a header (one X25519 stanza per recipient, then the
//! header MAC), a payload nonce and the STREAM payload; [`Opener`] reads them back. The same code
//! path seals uploads, family shares and `heirloom seal`, so any file can be checked with `age`.

use super::header::{Header, Stanza};
use super::keys::{Identity, Recipient};
use super::stream::{StreamReader, StreamWriter};
use super::SealError;
use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::io::{self, BufRead, Read, Write};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

const X25519_KIND: &str = "X25519";
const X25519_INFO: &[u8] = b"age-encryption.org/v1/X25519";
const FILE_KEY: usize = 16;
const PAYLOAD_NONCE: usize = 16;

type FileKey = Zeroizing<[u8; FILE_KEY]>;

fn random<const N: usize>() -> Result<Zeroizing<[u8; N]>, SealError> {
    let mut bytes = Zeroizing::new([0u8; N]);
    getrandom::fill(bytes.as_mut_slice()).map_err(|_| SealError::Randomness)?;
    Ok(bytes)
}

fn hkdf32(salt: &[u8], ikm: &[u8], info: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut okm = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's output limit: expand cannot fail.
    let _ = hkdf::Hkdf::<Sha256>::new(Some(salt), ikm).expand(info, okm.as_mut_slice());
    okm
}

fn header_mac(file_key: &FileKey, bytes: &[u8]) -> Hmac<Sha256> {
    let key = hkdf32(&[], file_key.as_slice(), b"header");
    // HMAC pads a short key with zeros to the 64-byte block; doing it here keeps `new` infallible.
    let mut block = Zeroizing::new([0u8; 64]);
    block[..32].copy_from_slice(key.as_slice());
    let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new(&(*block).into());
    mac.update(bytes);
    mac
}

fn wrap_file_key(file_key: &FileKey, recipient: &Recipient) -> Result<Stanza, SealError> {
    let ephemeral = StaticSecret::from(*random::<32>()?);
    let share = PublicKey::from(&ephemeral);
    let shared = ephemeral.diffie_hellman(recipient.public_key());
    if !shared.was_contributory() {
        return Err(SealError::InvalidRecipient);
    }
    let salt = [share.as_bytes().as_slice(), recipient.public_key().as_bytes()].concat();
    let wrap_key = hkdf32(&salt, shared.as_bytes(), X25519_INFO);
    let mut body = file_key.to_vec();
    let tag = ChaCha20Poly1305::new(&Key::from(*wrap_key))
        .encrypt_inout_detached(&Nonce::from([0u8; 12]), b"", body.as_mut_slice().into())
        .map_err(|_| SealError::Crypto { what: "wrapping the file key" })?;
    body.extend_from_slice(&tag);
    Ok(Stanza {
        kind: X25519_KIND.into(),
        args: vec![super::header::encode_b64(share.as_bytes())],
        body,
    })
}

/// Checks an X25519 stanza's shape. A malformed one is a header error even when another
/// stanza would match: the file is not one a correct age implementation writes.
fn x25519_share(stanza: &Stanza) -> Result<PublicKey, SealError> {
    let bad = |reason| SealError::Header { reason };
    let [share] = stanza.args.as_slice() else {
        return Err(bad("X25519 stanza needs exactly one argument"));
    };
    let share: [u8; 32] = super::header::decode_b64(share.as_bytes())
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| bad("X25519 share is not 32 bytes of canonical base64"))?;
    if stanza.body.len() != FILE_KEY + 16 {
        return Err(bad("X25519 stanza body is not a wrapped 16-byte file key"));
    }
    Ok(PublicKey::from(share))
}

fn unwrap_file_key(header: &Header, identities: &[Identity]) -> Result<FileKey, SealError> {
    let mut shares = Vec::new();
    for stanza in &header.stanzas {
        match stanza.kind.as_str() {
            X25519_KIND => shares.push((x25519_share(stanza)?, stanza)),
            "scrypt" if header.stanzas.len() > 1 => {
                return Err(SealError::Header { reason: "scrypt stanza must be alone" })
            }
            _ => {}
        }
    }
    for identity in identities {
        let ours = identity.recipient();
        for (share, stanza) in &shares {
            let shared = identity.secret().diffie_hellman(share);
            if !shared.was_contributory() {
                return Err(SealError::Header { reason: "X25519 share is a low-order point" });
            }
            let salt = [share.as_bytes().as_slice(), ours.public_key().as_bytes()].concat();
            let wrap_key = hkdf32(&salt, shared.as_bytes(), X25519_INFO);
            let mut body = Zeroizing::new(stanza.body.clone());
            let (key, tag) = body.split_at_mut(FILE_KEY);
            let tag: [u8; 16] = match (&*tag).try_into() {
                Ok(t) => t,
                Err(_) => continue,
            };
            let opened = ChaCha20Poly1305::new(&Key::from(*wrap_key))
                .decrypt_inout_detached(&Nonce::from([0u8; 12]), b"", key.into(), &tag.into())
                .is_ok();
            if opened {
                let mut file_key = Zeroizing::new([0u8; FILE_KEY]);
                file_key.copy_from_slice(key);
                return Ok(file_key);
            }
        }
    }
    let kinds = || header.stanzas.iter().map(|s| s.kind.as_str());
    if kinds().any(|k| k == "scrypt") {
        return Err(SealError::Unsupported { feature: "passphrase-encrypted (scrypt) files" });
    }
    if shares.is_empty() && kinds().any(|k| k == "mlkem768x25519") {
        return Err(SealError::Unsupported { feature: "post-quantum hybrid recipients" });
    }
    Err(SealError::NoMatch)
}

/// What sealing produced: sizes, and the SHA-256 of the sealed bytes when it was asked for
/// ([`Sealer::with_digest`]: what an upload manifest and a receipt name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealSummary {
    pub plaintext_bytes: u64,
    pub sealed_bytes: u64,
    pub sealed_sha256: Option<[u8; 32]>,
}

/// What opening produced: the plaintext's size and SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenSummary {
    pub plaintext_bytes: u64,
    pub plaintext_sha256: [u8; 32],
}

/// Counts and hashes what passes through to the inner writer.
#[derive(Debug)]
struct Hashing<W> {
    inner: W,
    bytes: u64,
    /// Only when a digest was asked for: SHA-256 costs more than the cipher on CPUs without
    /// SHA extensions.
    hash: Option<Sha256>,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(data)?;
        self.bytes += n as u64;
        if let Some(hash) = &mut self.hash {
            hash.update(&data[..n]);
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Seals what is written to it for a set of recipients, in constant memory.
#[derive(Debug)]
pub struct Sealer<W: Write> {
    stream: StreamWriter<Hashing<W>>,
    plaintext_bytes: u64,
}

impl<W: Write> Sealer<W> {
    /// Writes the header for `recipients` (at least one) and readies the payload.
    pub fn new(recipients: &[Recipient], out: W) -> Result<Self, SealError> {
        Self::start(recipients, out, false)
    }

    /// As [`Sealer::new`], also computing the SHA-256 of the sealed bytes.
    pub fn with_digest(recipients: &[Recipient], out: W) -> Result<Self, SealError> {
        Self::start(recipients, out, true)
    }

    fn start(recipients: &[Recipient], out: W, digest: bool) -> Result<Self, SealError> {
        if recipients.is_empty() {
            return Err(SealError::NoRecipients);
        }
        let file_key: FileKey = random::<FILE_KEY>()?;
        let stanzas = recipients
            .iter()
            .map(|r| wrap_file_key(&file_key, r))
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Hashing { inner: out, bytes: 0, hash: digest.then(Sha256::new) };
        Header::write_to(
            &stanzas,
            |bytes| header_mac(&file_key, bytes).finalize().into_bytes().into(),
            &mut out,
        )?;
        let nonce = random::<PAYLOAD_NONCE>()?;
        out.write_all(nonce.as_slice())?;
        let payload_key = hkdf32(nonce.as_slice(), file_key.as_slice(), b"payload");
        Ok(Self { stream: StreamWriter::new(&payload_key, out), plaintext_bytes: 0 })
    }

    /// Seals the final chunk; returns the writer and what was written.
    pub fn finish(self) -> Result<(W, SealSummary), SealError> {
        let out = self.stream.finish()?;
        let summary = SealSummary {
            plaintext_bytes: self.plaintext_bytes,
            sealed_bytes: out.bytes,
            sealed_sha256: out.hash.map(|h| h.finalize().into()),
        };
        Ok((out.inner, summary))
    }
}

impl<W: Write> Write for Sealer<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = self.stream.write(data)?;
        self.plaintext_bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

/// Seals everything `plaintext` yields into `out`.
pub fn seal<R: Read, W: Write>(
    recipients: &[Recipient],
    mut plaintext: R,
    out: W,
) -> Result<(W, SealSummary), SealError> {
    let mut sealer = Sealer::new(recipients, out)?;
    sealer.plaintext_bytes += sealer.stream.read_from(&mut plaintext)?;
    sealer.finish()
}

/// Opens an age file: the header is parsed, a file key unwrapped and the MAC checked on
/// construction; the payload is then read chunk by chunk, each one authenticated.
#[derive(Debug)]
pub struct Opener<R: BufRead> {
    payload: StreamReader<R>,
    pending: Vec<u8>,
    offset: usize,
}

impl<R: BufRead> Opener<R> {
    /// Reads and checks the header with `identities`.
    pub fn new(identities: &[Identity], mut sealed: R) -> Result<Self, SealError> {
        let header = Header::read_from(&mut sealed)?;
        let mut nonce = [0u8; PAYLOAD_NONCE];
        sealed.read_exact(&mut nonce).map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => SealError::Header { reason: "payload nonce missing" },
            _ => e.into(),
        })?;
        let file_key = unwrap_file_key(&header, identities)?;
        header_mac(&file_key, &header.mac_input)
            .verify_slice(&header.mac)
            .map_err(|_| SealError::HeaderMac)?;
        let payload_key = hkdf32(&nonce, file_key.as_slice(), b"payload");
        Ok(Self {
            payload: StreamReader::new(&payload_key, sealed),
            pending: Vec::new(),
            offset: 0,
        })
    }

    /// The next authenticated chunk of plaintext, or `None` at the verified end.
    pub fn next_chunk(&mut self) -> Result<Option<&[u8]>, SealError> {
        self.payload.next_chunk()
    }
}

impl<R: BufRead> Read for Opener<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.offset == self.pending.len() {
            match self.payload.next_chunk() {
                Ok(Some(chunk)) => {
                    self.pending.clear();
                    self.pending.extend_from_slice(chunk);
                    self.offset = 0;
                }
                Ok(None) => return Ok(0),
                Err(SealError::Io(e)) => return Err(e),
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            }
        }
        let n = out.len().min(self.pending.len() - self.offset);
        out[..n].copy_from_slice(&self.pending[self.offset..self.offset + n]);
        self.offset += n;
        Ok(n)
    }
}

/// Opens `sealed` with `identities`, writing authenticated plaintext to `out` as it goes. On an
/// error, `out` may hold the chunks authenticated before it: write to a scratch file and keep it
/// only on success (the CLI does).
pub fn open<R: BufRead, W: Write>(
    identities: &[Identity],
    sealed: R,
    mut out: W,
) -> Result<(W, OpenSummary), SealError> {
    let mut opener = Opener::new(identities, sealed)?;
    let mut hash = Sha256::new();
    let mut bytes = 0u64;
    while let Some(chunk) = opener.next_chunk()? {
        out.write_all(chunk)?;
        hash.update(chunk);
        bytes += chunk.len() as u64;
    }
    out.flush()?;
    Ok((out, OpenSummary { plaintext_bytes: bytes, plaintext_sha256: hash.finalize().into() }))
}
