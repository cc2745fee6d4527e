//! Media files at rest: photos, thumbnails, clean copies and videos are stored encrypted, like
//! recordings. A file is `HLMEDIA1`, a random 16-byte salt, then age's payload construction
//! (ChaCha20-Poly1305 STREAM in 64 KiB chunks, the same code as sealing) under a key derived
//! with HKDF-SHA256 from the data directory's media key and the salt. Every file has its own
//! key; truncation, reordering and tampering fail authentication; memory is constant.

use super::MediaError;
use crate::keystore::SecretKey;
use crate::seal::{StreamReader, StreamWriter};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::Path;
use zeroize::Zeroizing;

/// Purpose string of the data directory key that media file keys derive from.
pub const MEDIA_KEY_PURPOSE: &str = "heirloom/media/v1";
const MAGIC: &[u8; 8] = b"HLMEDIA1";
const SALT: usize = 16;

fn file_key(key: &SecretKey, salt: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut okm = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's output limit: expand cannot fail.
    let _ = hkdf::Hkdf::<Sha256>::new(Some(salt), key.expose())
        .expand(b"heirloom media file", okm.as_mut_slice());
    okm
}

/// Encrypts what is written to it; call [`VaultWriter::finish`].
pub struct VaultWriter<W: Write> {
    stream: StreamWriter<W>,
}

impl<W: Write> std::fmt::Debug for VaultWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VaultWriter")
    }
}

impl<W: Write> VaultWriter<W> {
    pub fn new(key: &SecretKey, mut out: W) -> Result<Self, MediaError> {
        let mut salt = [0u8; SALT];
        getrandom::fill(&mut salt).map_err(|_| MediaError::Io {
            op: "draw randomness",
            kind: std::io::ErrorKind::Other,
        })?;
        out.write_all(MAGIC).map_err(MediaError::io("write a media file"))?;
        out.write_all(&salt).map_err(MediaError::io("write a media file"))?;
        Ok(Self { stream: StreamWriter::new(&file_key(key, &salt), out) })
    }

    pub fn finish(self) -> Result<W, MediaError> {
        self.stream.finish().map_err(MediaError::io("write a media file"))
    }
}

impl<W: Write> Write for VaultWriter<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.stream.write(data)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.stream.flush()
    }
}

/// Decrypts a stored media file as it is read; every byte handed out is authenticated, and a
/// damaged file fails with [`MediaError::Tampered`] (as an `InvalidData` I/O error).
pub struct VaultReader<R: Read> {
    stream: StreamReader<R>,
    pending: Vec<u8>,
    pos: usize,
}

impl<R: Read> std::fmt::Debug for VaultReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VaultReader")
    }
}

impl<R: Read> VaultReader<R> {
    pub fn new(key: &SecretKey, mut src: R) -> Result<Self, MediaError> {
        let mut head = [0u8; 8 + SALT];
        let mut got = 0;
        while got < head.len() {
            match src.read(&mut head[got..]).map_err(MediaError::io("read a media file"))? {
                0 => return Err(MediaError::NotAVaultFile { reason: "too short" }),
                n => got += n,
            }
        }
        if &head[..8] != MAGIC {
            return Err(MediaError::NotAVaultFile { reason: "unknown format" });
        }
        Ok(Self {
            stream: StreamReader::new(&file_key(key, &head[8..]), src),
            pending: Vec::new(),
            pos: 0,
        })
    }
}

impl<R: Read> Read for VaultReader<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.pending.len() {
            match self.stream.next_chunk() {
                Ok(Some(chunk)) => {
                    self.pending.clear();
                    self.pending.extend_from_slice(chunk);
                    self.pos = 0;
                }
                Ok(None) => return Ok(0),
                Err(crate::seal::SealError::Io(e)) => return Err(e),
                Err(_) => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        MediaError::Tampered,
                    ))
                }
            }
        }
        let n = out.len().min(self.pending.len() - self.pos);
        out[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// A media file being written encrypted: a scratch file beside `dest`, synced and renamed
/// into place by [`SealedFile::commit`] (dropped without it, nothing is left behind). Hashes
/// the plaintext as it goes.
pub struct SealedFile {
    writer: VaultWriter<std::io::BufWriter<File>>,
    scratch: tempfile::TempPath,
    dest: std::path::PathBuf,
    hash: Sha256,
    total: u64,
}

impl std::fmt::Debug for SealedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedFile").field("total", &self.total).finish_non_exhaustive()
    }
}

impl SealedFile {
    pub fn create(key: &SecretKey, dest: &Path) -> Result<SealedFile, MediaError> {
        let dir = dest.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(MediaError::io("create the media folder"))?;
        let scratch =
            tempfile::NamedTempFile::new_in(dir).map_err(MediaError::io("write a media file"))?;
        let (file, scratch) = scratch.into_parts();
        let writer = VaultWriter::new(key, std::io::BufWriter::with_capacity(1 << 16, file))?;
        Ok(SealedFile { writer, scratch, dest: dest.to_path_buf(), hash: Sha256::new(), total: 0 })
    }

    /// Finishes the file and puts it in place; returns the plaintext's length and SHA-256.
    pub fn commit(self) -> Result<(u64, [u8; 32]), MediaError> {
        let file = self
            .writer
            .finish()?
            .into_inner()
            .map_err(|e| MediaError::Io { op: "write a media file", kind: e.error().kind() })?;
        file.sync_all().map_err(MediaError::io("write a media file"))?;
        drop(file);
        self.scratch
            .persist(&self.dest)
            .map_err(|e| MediaError::Io { op: "store a media file", kind: e.error.kind() })?;
        Ok((self.total, self.hash.finalize().into()))
    }
}

impl Write for SealedFile {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let n = self.writer.write(data)?;
        self.hash.update(&data[..n]);
        self.total += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

/// Encrypts everything `src` yields into `dest` (a scratch file beside it, synced, then
/// renamed into place). Returns the plaintext's length and SHA-256.
pub fn seal_file(
    key: &SecretKey,
    mut src: impl Read,
    dest: &Path,
) -> Result<(u64, [u8; 32]), MediaError> {
    let mut out = SealedFile::create(key, dest)?;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(MediaError::Io { op: "read the media file", kind: e.kind() }),
        };
        out.write_all(&buf[..n]).map_err(MediaError::io("write a media file"))?;
    }
    out.commit()
}

/// The plaintext length of a stored media file, from its size alone (every 64 KiB chunk
/// carries a 16-byte tag). Reading it still authenticates every byte.
pub fn plaintext_len(path: &Path) -> Result<u64, MediaError> {
    let size = std::fs::metadata(path).map_err(MediaError::io("inspect a media file"))?.len();
    let payload = size
        .checked_sub((MAGIC.len() + SALT) as u64)
        .filter(|p| *p >= 16)
        .ok_or(MediaError::NotAVaultFile { reason: "too short" })?;
    let chunks = payload.div_ceil(crate::seal::CHUNK as u64 + 16);
    Ok(payload - 16 * chunks)
}

/// Opens a stored media file for reading.
pub fn open_file(key: &SecretKey, path: &Path) -> Result<VaultReader<BufReader<File>>, MediaError> {
    let file = File::open(path).map_err(MediaError::io("open a media file"))?;
    VaultReader::new(key, BufReader::with_capacity(1 << 16, file))
}
