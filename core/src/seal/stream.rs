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

/// Full chunks per batch (1 MiB of plaintext): the unit handed to a worker thread.
const BATCH_CHUNKS: usize = 16;
/// Workers beyond this gain little: reading and writing stay on the caller's thread.
const MAX_WORKERS: usize = 4;

/// Seals the chunks of one batch in place: `batch` holds them in their sealed layout, each
/// followed by room for its tag. With `last`, the batch's final chunk gets the final flag.
fn seal_batch(cipher: &ChaCha20Poly1305, batch: &mut [u8], first: u64, last: bool) -> bool {
    let chunks = batch.len().div_ceil(SEALED_CHUNK);
    batch.chunks_mut(SEALED_CHUNK).enumerate().all(|(i, chunk)| {
        let n = nonce(first + i as u64, last && i + 1 == chunks);
        let (body, tag_room) = chunk.split_at_mut(chunk.len() - TAG);
        match cipher.encrypt_inout_detached(&n, b"", body.into()) {
            Ok(tag) => {
                tag_room.copy_from_slice(&tag);
                true
            }
            Err(_) => false,
        }
    })
}

struct Job {
    batch: Vec<u8>,
    first: u64,
    last: bool,
}

/// A thread that seals whole batches; results come back in the order jobs went in.
struct Worker {
    jobs: std::sync::mpsc::Sender<Job>,
    done: std::sync::mpsc::Receiver<(Vec<u8>, bool)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Worker {
    fn spawn(cipher: ChaCha20Poly1305) -> io::Result<Self> {
        let (jobs, job_rx) = std::sync::mpsc::channel::<Job>();
        let (done_tx, done) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new().name("heirloom-seal".into()).spawn(move || {
            for mut job in job_rx {
                let ok = seal_batch(&cipher, &mut job.batch, job.first, job.last);
                if done_tx.send((job.batch, ok)).is_err() {
                    break;
                }
            }
        })?;
        Ok(Self { jobs, done, thread: Some(thread) })
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Closing the job channel ends the thread.
        let (closed, _) = std::sync::mpsc::channel();
        self.jobs = closed;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Encrypts a payload as it is written. Call [`StreamWriter::finish`]: without it the payload
/// has no final chunk and will not open.
///
/// Chunks are independent once their counter is known, so plaintext is gathered into 1 MiB
/// batches laid out as they will be written (each chunk followed by room for its tag) and each
/// batch is sealed in place on one of up to [`MAX_WORKERS`] worker threads, while the caller's
/// thread goes on reading and writes finished batches out in order. Memory stays constant: at
/// most one batch per worker plus the one being filled. A full batch is handed over only once
/// more data arrives, because the payload's last chunk (which may be full) carries the final
/// flag. A payload of one batch or less never starts a thread.
pub struct StreamWriter<W: Write> {
    cipher: ChaCha20Poly1305,
    out: W,
    /// The batch being filled, in its sealed layout.
    batch: Vec<u8>,
    /// Plaintext bytes in `batch`.
    plain: usize,
    /// Counter of `batch`'s first chunk.
    counter: u64,
    max_workers: usize,
    workers: Vec<Worker>,
    /// Batches handed out so far; batch `k` went to worker `k % workers.len()`.
    submitted: u64,
    /// Batches written out so far.
    collected: u64,
    spare: Vec<Vec<u8>>,
}

impl<W: Write> std::fmt::Debug for StreamWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamWriter").field("chunks", &self.counter).finish_non_exhaustive()
    }
}

impl<W: Write> StreamWriter<W> {
    pub(crate) fn new(key: &[u8; 32], out: W) -> Self {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_WORKERS);
        Self::with_workers(key, out, threads)
    }

    /// With `max_workers` 0, every batch is sealed on the caller's thread.
    pub(crate) fn with_workers(key: &[u8; 32], out: W, max_workers: usize) -> Self {
        Self {
            cipher: ChaCha20Poly1305::new(&Key::from(*key)),
            out,
            batch: Vec::with_capacity(BATCH_CHUNKS * SEALED_CHUNK),
            plain: 0,
            counter: 0,
            max_workers: max_workers.min(MAX_WORKERS),
            workers: Vec::new(),
            submitted: 0,
            collected: 0,
            spare: Vec::new(),
        }
    }

    fn broken() -> io::Error {
        io::Error::other("chunk encryption failed")
    }

    /// Waits for the oldest batch in flight and writes it out.
    fn collect_one(&mut self) -> io::Result<()> {
        let worker = &self.workers[(self.collected % self.workers.len() as u64) as usize];
        let (mut sealed, ok) = worker.done.recv().map_err(|_| Self::broken())?;
        if !ok {
            return Err(Self::broken());
        }
        self.out.write_all(&sealed)?;
        self.collected += 1;
        sealed.clear();
        self.spare.push(sealed);
        Ok(())
    }

    /// Hands the filled batch over (or seals it here) and starts an empty one.
    fn submit(&mut self, last: bool) -> io::Result<()> {
        if last && (self.plain == 0 || !self.plain.is_multiple_of(CHUNK)) {
            // The final, partial (or empty) chunk still needs room for its tag.
            self.batch.resize(self.batch.len() + TAG, 0);
        }
        let chunks = self.batch.len().div_ceil(SEALED_CHUNK) as u64;
        let first = self.counter;
        self.counter = self
            .counter
            .checked_add(chunks)
            .ok_or_else(|| io::Error::other("payload too large for one age file"))?;
        self.plain = 0;
        let inline = self.max_workers == 0 || last && self.workers.is_empty();
        if inline {
            if !seal_batch(&self.cipher, &mut self.batch, first, last) {
                return Err(Self::broken());
            }
            self.out.write_all(&self.batch)?;
            self.batch.clear();
            return Ok(());
        }
        if self.workers.len() < self.max_workers {
            self.workers.push(Worker::spawn(self.cipher.clone())?);
        }
        if self.submitted - self.collected == self.workers.len() as u64 {
            self.collect_one()?;
        }
        let next =
            self.spare.pop().unwrap_or_else(|| Vec::with_capacity(BATCH_CHUNKS * SEALED_CHUNK));
        let batch = std::mem::replace(&mut self.batch, next);
        let worker = &self.workers[(self.submitted % self.workers.len() as u64) as usize];
        worker.jobs.send(Job { batch, first, last }).map_err(|_| Self::broken())?;
        self.submitted += 1;
        Ok(())
    }

    /// Reads `src` to its end straight into the batches: no intermediate copy.
    pub fn read_from<R: Read>(&mut self, src: &mut R) -> io::Result<u64> {
        let mut total = 0u64;
        loop {
            if self.plain == BATCH_CHUNKS * CHUNK {
                // Full: hand it over only if more data follows.
                let mut probe = [0u8; 1];
                if read_full(src, &mut probe)? == 0 {
                    return Ok(total);
                }
                self.submit(false)?;
                self.push(&probe);
                total += 1;
            }
            let start = self.batch.len();
            let room = CHUNK - self.plain % CHUNK;
            self.batch.resize(start + room, 0);
            let n = loop {
                match src.read(&mut self.batch[start..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        self.batch.truncate(start);
                        return Err(e);
                    }
                }
            };
            self.batch.truncate(start + n);
            if n == 0 {
                return Ok(total);
            }
            self.advance(n);
            total += n as u64;
        }
    }

    fn advance(&mut self, n: usize) {
        self.plain += n;
        if self.plain.is_multiple_of(CHUNK) {
            // Room for this full chunk's tag.
            self.batch.resize(self.batch.len() + TAG, 0);
        }
    }

    /// Appends at most up to the end of the current chunk; the batch must not be full.
    fn push(&mut self, data: &[u8]) -> usize {
        let take = data.len().min(CHUNK - self.plain % CHUNK);
        self.batch.extend_from_slice(&data[..take]);
        self.advance(take);
        take
    }

    /// Seals the final chunk, writes out everything still in flight and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.submit(true)?;
        while self.collected < self.submitted {
            self.collect_one()?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> Write for StreamWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        // A full batch is handed over only once more data arrives: its last chunk may be final.
        if self.plain == BATCH_CHUNKS * CHUNK {
            self.submit(false)?;
        }
        Ok(self.push(data))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed_with(workers: usize, plain: &[u8], pieces: usize) -> Vec<u8> {
        let mut writer = StreamWriter::with_workers(&[7u8; 32], Vec::new(), workers);
        // Uneven writes, so chunk and batch boundaries fall inside them.
        for part in plain.chunks(pieces.max(1)) {
            writer.write_all(part).expect("write");
        }
        writer.finish().expect("finish")
    }

    /// A reader handing out odd-sized pieces, as a pipe or socket does.
    struct Dribble<'a>(&'a [u8], usize);

    impl Read for Dribble<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.1).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn sealed_reading(workers: usize, plain: &[u8], piece: usize) -> Vec<u8> {
        let mut writer = StreamWriter::with_workers(&[7u8; 32], Vec::new(), workers);
        let read = writer.read_from(&mut Dribble(plain, piece)).expect("read");
        assert_eq!(read, plain.len() as u64);
        writer.finish().expect("finish")
    }

    fn opened(sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut reader = StreamReader::new(&[7u8; 32], sealed);
        let mut out = Vec::new();
        while let Some(chunk) = reader.next_chunk()? {
            out.extend_from_slice(chunk);
        }
        Ok(out)
    }

    #[test]
    fn parallel_batches_seal_exactly_as_one_thread_does() {
        let batch = BATCH_CHUNKS * CHUNK;
        for len in
            [0, 1, CHUNK, CHUNK + 1, batch - 1, batch, batch + 1, 2 * batch, 2 * batch + CHUNK]
        {
            let plain: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
            let reference = sealed_with(0, &plain, 100_003);
            assert_eq!(reference.len(), len + TAG * len.div_ceil(CHUNK).max(1), "{len} bytes");
            for workers in [1, 2, 3] {
                assert_eq!(sealed_with(workers, &plain, 77_777), reference, "{len} bytes");
                assert_eq!(sealed_reading(workers, &plain, 50_000), reference, "{len} bytes");
            }
            assert_eq!(sealed_reading(0, &plain, 1 << 20), reference, "{len} bytes");
            assert_eq!(opened(&reference).expect("opens"), plain, "{len} bytes");
        }
    }

    #[test]
    fn a_chunk_moved_between_parallel_runs_is_caught() {
        // Two and a bit batches over two workers.
        let len = 2 * BATCH_CHUNKS * CHUNK + 1;
        let plain: Vec<u8> = (0..len).map(|i| (i / CHUNK) as u8).collect();
        let mut sealed = sealed_with(2, &plain, len);
        assert_eq!(opened(&sealed).expect("opens"), plain);
        // Swap the last chunk of the first batch with the first of the second, sealed by
        // different workers: each tag is valid for its own counter only.
        let edge = BATCH_CHUNKS * SEALED_CHUNK;
        let (a, b) = sealed.split_at_mut(edge);
        a[edge - SEALED_CHUNK..].swap_with_slice(&mut b[..SEALED_CHUNK]);
        let chunk = BATCH_CHUNKS as u64 - 1;
        assert!(matches!(opened(&sealed), Err(SealError::Payload { chunk: c, .. }) if c == chunk));
    }
}
