//! age's payload: ChaCha20-Poly1305 STREAM in 64 KiB chunks. The nonce is an 11-byte big-endian
//! chunk counter and a last-chunk flag, so chunks cannot be reordered, dropped or truncated
//! without detection. Both directions hold one chunk at a time: constant memory for any size.

use super::SealError;
use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use std::io::{self, Read, Write};

/// Plaintext bytes per chunk.
pub const CHUNK: usize = 64 * 1024;
const TAG: usize = 16;
const SEALED_CHUNK: usize = CHUNK + TAG;

fn nonce(counter: u64, last: bool) -> Nonce {
    let mut n = [0u8; 12];
    n[3..11].copy_from_slice(&counter.to_be_bytes());
    n[11] = u8::from(last);
    Nonce::from(n)
}

/// Encrypts a payload as it is written. Call [`StreamWriter::finish`]: without it the payload
/// has no final chunk and will not open.
pub struct StreamWriter<W: Write> {
    cipher: ChaCha20Poly1305,
    out: W,
    buf: Vec<u8>,
    counter: u64,
}

impl<W: Write> std::fmt::Debug for StreamWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamWriter").field("chunks", &self.counter).finish_non_exhaustive()
    }
}

impl<W: Write> StreamWriter<W> {
    pub(crate) fn new(key: &[u8; 32], out: W) -> Self {
        let cipher = ChaCha20Poly1305::new(&Key::from(*key));
        Self { cipher, out, buf: Vec::with_capacity(SEALED_CHUNK), counter: 0 }
    }

    fn seal_chunk(&mut self, last: bool) -> io::Result<()> {
        let n = nonce(self.counter, last);
        let tag = self
            .cipher
            .encrypt_inout_detached(&n, b"", self.buf.as_mut_slice().into())
            .map_err(|_| io::Error::other("chunk encryption failed"))?;
        self.buf.extend_from_slice(&tag);
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        self.counter = self
            .counter
            .checked_add(1)
            .ok_or_else(|| io::Error::other("payload too large for one age file"))?;
        Ok(())
    }

    /// Seals the final chunk and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.seal_chunk(true)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> Write for StreamWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        // A full chunk is sealed only once more data arrives: the last chunk may be full.
        if self.buf.len() == CHUNK {
            self.seal_chunk(false)?;
        }
        let take = data.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..take]);
        Ok(take)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Reads `buf.len()` bytes unless the input ends first; returns how many were read.
fn read_full<R: Read>(src: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match src.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Decrypts a payload chunk by chunk. Every chunk handed out has been authenticated; the error
/// for a damaged chunk comes after the good chunks before it, which is all that was released.
pub struct StreamReader<R: Read> {
    cipher: ChaCha20Poly1305,
    src: R,
    buf: Vec<u8>,
    counter: u64,
    done: bool,
    /// Set once the payload is known to be bad; every later call reports it.
    failure: Option<&'static str>,
}

impl<R: Read> std::fmt::Debug for StreamReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamReader").field("chunks", &self.counter).finish_non_exhaustive()
    }
}

impl<R: Read> StreamReader<R> {
    pub(crate) fn new(key: &[u8; 32], src: R) -> Self {
        let cipher = ChaCha20Poly1305::new(&Key::from(*key));
        Self { cipher, src, buf: vec![0; SEALED_CHUNK], counter: 0, done: false, failure: None }
    }

    fn fail(&mut self, reason: &'static str) -> SealError {
        self.failure = Some(reason);
        SealError::Payload { chunk: self.counter, reason }
    }

    fn open_chunk(&mut self, len: usize, last: bool) -> bool {
        let (body, tag) = self.buf[..len].split_at_mut(len - TAG);
        let tag: [u8; TAG] = match (&*tag).try_into() {
            Ok(t) => t,
            Err(_) => return false,
        };
        // On a bad tag the buffer is left as it was, so a second try with the other flag works.
        self.cipher
            .decrypt_inout_detached(&nonce(self.counter, last), b"", body.into(), &tag.into())
            .is_ok()
    }

    /// The next authenticated plaintext chunk, or `None` at the verified end of the payload.
    pub fn next_chunk(&mut self) -> Result<Option<&[u8]>, SealError> {
        if let Some(reason) = self.failure {
            return Err(SealError::Payload { chunk: self.counter, reason });
        }
        if self.done {
            return Ok(None);
        }
        self.buf.resize(SEALED_CHUNK, 0);
        let n = match read_full(&mut self.src, &mut self.buf) {
            Ok(n) => n,
            Err(e) => {
                self.failure = Some("the sealed input could not be read");
                return Err(e.into());
            }
        };
        if n == 0 {
            return Err(self.fail("payload ends without a final chunk"));
        }
        if n < TAG {
            return Err(self.fail("chunk shorter than its tag"));
        }
        let mut last = n < SEALED_CHUNK;
        if last && n == TAG && self.counter > 0 {
            return Err(self.fail("final chunk is empty"));
        }
        let mut opened = self.open_chunk(n, last);
        if !opened && !last {
            // A full-length chunk may be the final one: the flag decides.
            last = true;
            opened = self.open_chunk(n, true);
        }
        if !opened {
            return Err(self.fail("chunk failed authentication"));
        }
        self.counter += 1;
        self.buf.truncate(n - TAG);
        if last {
            self.done = true;
            // Released like any authenticated chunk; the trailing bytes fail the next call.
            let mut probe = [0u8; 1];
            match read_full(&mut self.src, &mut probe) {
                Ok(0) => {}
                Ok(_) => self.failure = Some("data after the final chunk"),
                Err(e) => {
                    self.failure = Some("the sealed input could not be read");
                    return Err(e.into());
                }
            }
        }
        Ok(Some(&self.buf))
    }
}
