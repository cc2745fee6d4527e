//! Reading recordings back, and recovering interrupted ones.

use super::format::{ChunkCipher, Header, HEADER_LEN, MAX_CHUNK_PLAINTEXT, TAG_LEN};
use super::writer::{sync_dir, FINISHED_EXT, PART_EXT};
use super::CaptureError;
use crate::keystore::SecretKey;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// A recording's audio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedAudio {
    pub sample_rate: u32,
    pub channels: u16,
    /// Interleaved samples.
    pub samples: Vec<i16>,
}

impl RecordedAudio {
    /// Length in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        frames_to_ms(self.samples.len() as u64, self.channels, self.sample_rate)
    }
}

fn frames_to_ms(samples: u64, channels: u16, rate: u32) -> u64 {
    samples / u64::from(channels.max(1)) * 1000 / u64::from(rate.max(1))
}

/// An interrupted recording that was closed on recovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveredRecording {
    /// The recording's final path.
    pub path: PathBuf,
    /// Audio kept, in milliseconds.
    pub duration_ms: u64,
    /// Bytes of a torn last chunk that were cut off.
    pub discarded_bytes: u64,
}

/// What recovery did: recordings closed, and files it could not recover (left untouched).
#[derive(Debug, Default)]
pub struct RecoveryReport {
    pub recovered: Vec<RecoveredRecording>,
    pub failed: Vec<(PathBuf, CaptureError)>,
}

/// What a pass over the chunks found.
struct Scan {
    header: Header,
    samples: Vec<i16>,
    sample_count: u64,
    chunks: u64,
    /// Byte offset just past the last whole, authentic chunk.
    valid_end: u64,
    complete: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Read everything, keep the samples, fail on anything wrong.
    Strict,
    /// As `Strict`, counting the samples without keeping them.
    Verify,
    /// Recovery: count samples only, stop at a torn or unauthentic last chunk.
    Recover,
}

fn scan(
    path: &Path,
    audio_key: &SecretKey,
    max_samples: u64,
    mode: Mode,
) -> Result<Scan, CaptureError> {
    let file = File::open(path).map_err(CaptureError::io("open the recording"))?;
    let size = file.metadata().map_err(CaptureError::io("inspect the recording"))?.len();
    let mut r = BufReader::new(file);
    let mut head = [0u8; HEADER_LEN];
    let got = read_up_to(&mut r, &mut head).map_err(CaptureError::io("read the recording"))?;
    let header = Header::parse(&head[..got])?;
    let cipher = ChunkCipher::new(audio_key, &header);
    let mut out = Scan {
        header,
        samples: Vec::new(),
        sample_count: 0,
        chunks: 0,
        valid_end: HEADER_LEN as u64,
        complete: false,
    };
    loop {
        let mut len_bytes = [0u8; 4];
        let got =
            read_up_to(&mut r, &mut len_bytes).map_err(CaptureError::io("read the recording"))?;
        if got == 0 {
            break;
        }
        let len = u32::from_le_bytes(len_bytes) as usize;
        if got < 4 || !(TAG_LEN..=MAX_CHUNK_PLAINTEXT + TAG_LEN).contains(&len) {
            // A cut-off length field (torn) or a length no writer produces (corrupt).
            if mode == Mode::Recover && (got < 4 || out.valid_end + 4 + len as u64 >= size) {
                break;
            }
            return Err(CaptureError::NotARecording { reason: "bad chunk length" });
        }
        let mut sealed = vec![0u8; len];
        let whole =
            read_up_to(&mut r, &mut sealed).map_err(CaptureError::io("read the recording"))? == len;
        if !whole {
            if mode == Mode::Recover {
                break;
            }
            return Err(CaptureError::Truncated { chunks: out.chunks });
        }
        let is_last_in_file = out.valid_end + 4 + len as u64 == size;
        let (plain, last) = match cipher.open(out.chunks, &sealed) {
            Ok(ok) => ok,
            // Recovery may drop only a final chunk that fails after earlier ones proved the key
            // (a write torn by a power cut); anything else is left for the owner, untouched.
            Err(_) if mode == Mode::Recover && is_last_in_file && out.chunks > 0 => break,
            Err(e) => return Err(e),
        };
        if plain.len() % 2 != 0 {
            return Err(CaptureError::NotARecording { reason: "odd chunk length" });
        }
        let new = plain.len() as u64 / 2;
        if out.sample_count + new > max_samples {
            let per_second = u64::from(out.header.sample_rate) * u64::from(out.header.channels);
            return Err(CaptureError::TooLong { max_seconds: max_samples / per_second.max(1) });
        }
        if mode == Mode::Strict {
            out.samples.extend(plain.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])));
        }
        out.sample_count += new;
        out.chunks += 1;
        out.valid_end += 4 + len as u64;
        if last {
            out.complete = true;
            if mode != Mode::Recover && out.valid_end != size {
                return Err(CaptureError::NotARecording { reason: "data after the closing chunk" });
            }
            break;
        }
    }
    Ok(out)
}

/// Reads and authenticates chunk `index` of a finished recording (its length prefix and sealed
/// body): the plaintext and whether it is the closing chunk. A cut-off chunk is `Truncated`.
pub(crate) fn next_chunk(
    r: &mut impl Read,
    cipher: &ChunkCipher,
    index: u64,
) -> Result<(Vec<u8>, bool), CaptureError> {
    let mut len_bytes = [0u8; 4];
    if read_up_to(r, &mut len_bytes).map_err(CaptureError::io("read the recording"))? < 4 {
        return Err(CaptureError::Truncated { chunks: index });
    }
    let len = u32::from_le_bytes(len_bytes) as usize;
    if !(TAG_LEN..=MAX_CHUNK_PLAINTEXT + TAG_LEN).contains(&len) {
        return Err(CaptureError::NotARecording { reason: "bad chunk length" });
    }
    let mut sealed = vec![0u8; len];
    if read_up_to(r, &mut sealed).map_err(CaptureError::io("read the recording"))? < len {
        return Err(CaptureError::Truncated { chunks: index });
    }
    cipher.open(index, &sealed)
}

pub(crate) fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// A recording's sample rate and channel count, from its header.
pub fn read_format(path: &Path) -> Result<(u32, u16), CaptureError> {
    let mut head = [0u8; HEADER_LEN];
    let mut f = File::open(path).map_err(CaptureError::io("open the recording"))?;
    let got = read_up_to(&mut f, &mut head).map_err(CaptureError::io("read the recording"))?;
    let h = Header::parse(&head[..got])?;
    Ok((h.sample_rate, h.channels))
}

/// The file id a recording's name must carry (names are `<hex id>.hla`), so two recordings
/// cannot be swapped on disk unnoticed.
pub(crate) fn check_name(path: &Path, header: &Header) -> Result<(), CaptureError> {
    let expected: String = header.file_id.iter().map(|b| format!("{b:02x}")).collect();
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    if name.split('.').next() == Some(expected.as_str()) {
        Ok(())
    } else {
        Err(CaptureError::NotARecording { reason: "file name does not match its header" })
    }
}

/// Bytes of the canonical 16-bit PCM WAV header.
const WAV_HEADER_LEN: usize = 44;

/// A finished recording as a 16-bit PCM WAV file, read in constant memory: a first pass
/// authenticates every chunk and counts the samples (so the length is known before any byte is
/// handed out, as a tar entry needs), the second decrypts chunk by chunk as it is read. If the
/// file changes between the passes, reading fails rather than yield a different length.
pub struct WavReader {
    file: BufReader<File>,
    cipher: ChunkCipher,
    next_chunk: u64,
    /// Bytes ready to hand out (the WAV header first, then each chunk's PCM), from `pos`.
    pending: Vec<u8>,
    pos: usize,
    finished: bool,
    len: u64,
    given: u64,
}

impl std::fmt::Debug for WavReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WavReader").field("len", &self.len).finish_non_exhaustive()
    }
}

impl WavReader {
    /// Verifies the recording at `path` and readies it for reading as a WAV file.
    pub fn open(path: &Path, audio_key: &SecretKey) -> Result<WavReader, CaptureError> {
        let s = scan(path, audio_key, u64::MAX, Mode::Verify)?;
        check_name(path, &s.header)?;
        if !s.complete {
            return Err(CaptureError::Truncated { chunks: s.chunks });
        }
        let channels = s.header.channels.max(1);
        let rate = s.header.sample_rate;
        let data_len = s.sample_count * 2;
        let per_second = u64::from(rate) * u64::from(channels) * 2;
        let riff_len = u32::try_from(data_len + 36).map_err(|_| CaptureError::TooLong {
            max_seconds: u64::from(u32::MAX) / per_second.max(1),
        })?;
        let mut head = Vec::with_capacity(WAV_HEADER_LEN);
        head.extend_from_slice(b"RIFF");
        head.extend_from_slice(&riff_len.to_le_bytes());
        head.extend_from_slice(b"WAVEfmt ");
        head.extend_from_slice(&16u32.to_le_bytes());
        head.extend_from_slice(&1u16.to_le_bytes()); // PCM
        head.extend_from_slice(&channels.to_le_bytes());
        head.extend_from_slice(&rate.to_le_bytes());
        head.extend_from_slice(&(rate.saturating_mul(u32::from(channels) * 2)).to_le_bytes());
        head.extend_from_slice(&(channels * 2).to_le_bytes());
        head.extend_from_slice(&16u16.to_le_bytes());
        head.extend_from_slice(b"data");
        head.extend_from_slice(&((data_len) as u32).to_le_bytes());
        let mut file =
            BufReader::new(File::open(path).map_err(CaptureError::io("open the recording"))?);
        let mut skip = [0u8; HEADER_LEN];
        let got =
            read_up_to(&mut file, &mut skip).map_err(CaptureError::io("read the recording"))?;
        let header = Header::parse(&skip[..got])?;
        if header.file_id != s.header.file_id {
            return Err(CaptureError::NotARecording { reason: "the recording changed while read" });
        }
        Ok(WavReader {
            cipher: ChunkCipher::new(audio_key, &header),
            file,
            next_chunk: 0,
            pending: head,
            pos: 0,
            finished: false,
            len: WAV_HEADER_LEN as u64 + data_len,
            given: 0,
        })
    }

    /// Length of the whole WAV file in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the WAV file is empty (it never is: the header alone is 44 bytes).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn refill(&mut self) -> Result<bool, CaptureError> {
        if self.finished {
            return Ok(false);
        }
        let (plain, last) = next_chunk(&mut self.file, &self.cipher, self.next_chunk)?;
        self.next_chunk += 1;
        self.finished = last;
        self.pending.clear();
        self.pending.extend_from_slice(&plain);
        self.pos = 0;
        Ok(true)
    }
}

impl Read for WavReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let changed = || {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                CaptureError::NotARecording { reason: "the recording changed while read" },
            )
        };
        while self.pos == self.pending.len() {
            match self.refill() {
                Ok(true) => {}
                Ok(false) if self.given == self.len => return Ok(0),
                Ok(false) => return Err(changed()),
                Err(e) => {
                    let kind = match e {
                        CaptureError::Io { kind, .. } => kind,
                        _ => std::io::ErrorKind::InvalidData,
                    };
                    return Err(std::io::Error::new(kind, e));
                }
            }
        }
        let n = out.len().min(self.pending.len() - self.pos);
        if self.given + n as u64 > self.len {
            return Err(changed());
        }
        out[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
        self.pos += n;
        self.given += n as u64;
        Ok(n)
    }
}

/// Reads a finished recording, refusing one longer than `max_seconds` before holding it.
pub fn read_recording(
    path: &Path,
    audio_key: &SecretKey,
    max_seconds: u32,
) -> Result<RecordedAudio, CaptureError> {
    let (rate, channels) = read_format(path)?;
    let max_samples = u64::from(max_seconds) * u64::from(rate) * u64::from(channels);
    let s = scan(path, audio_key, max_samples, Mode::Strict)?;
    check_name(path, &s.header)?;
    if !s.complete {
        return Err(CaptureError::Truncated { chunks: s.chunks });
    }
    Ok(RecordedAudio {
        sample_rate: s.header.sample_rate,
        channels: s.header.channels,
        samples: s.samples,
    })
}

/// Length of a finished recording in milliseconds, verifying every chunk without holding the
/// audio.
pub fn recording_duration_ms(path: &Path, audio_key: &SecretKey) -> Result<u64, CaptureError> {
    let s = scan(path, audio_key, u64::MAX, Mode::Recover)?;
    check_name(path, &s.header)?;
    if !s.complete {
        return Err(CaptureError::Truncated { chunks: s.chunks });
    }
    Ok(frames_to_ms(s.sample_count, s.header.channels, s.header.sample_rate))
}

/// Finds recordings in `dir` that were interrupted (the app was killed, the phone died), keeps
/// every whole authentic chunk, cuts off a torn last chunk, writes the closing chunk and gives
/// each its final name. A `.part` file still open by a live recording is skipped; one too short
/// to hold a header held no audio and is removed; one that cannot be recovered (a wrong key,
/// damage before its end) is left untouched and reported.
pub fn recover_interrupted(
    dir: &Path,
    audio_key: &SecretKey,
) -> Result<RecoveryReport, CaptureError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(RecoveryReport::default()),
        Err(e) => return Err(CaptureError::Io { op: "list the audio directory", kind: e.kind() }),
    };
    let suffix = format!(".{PART_EXT}");
    let mut parts: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(&suffix)))
        .collect();
    parts.sort();
    let mut report = RecoveryReport::default();
    for part in parts {
        match recover_one(&part, audio_key) {
            Ok(Some(r)) => report.recovered.push(r),
            Ok(None) => {}
            Err(e) => report.failed.push((part, e)),
        }
    }
    Ok(report)
}

fn recover_one(
    part: &Path,
    audio_key: &SecretKey,
) -> Result<Option<RecoveredRecording>, CaptureError> {
    let mut file = OpenOptions::new()
        .write(true)
        .open(part)
        .map_err(CaptureError::io("reopen a recording"))?;
    // A live writer holds an exclusive lock on its file: leave it alone. A lock can also linger
    // for a moment after its writer closed (a process forking at that instant shares the open
    // file until it execs), so ask a few times before deciding the recording is live.
    let mut attempts = 0;
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) if attempts < 20 => {
                attempts += 1;
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(CaptureError::Io { op: "lock a recording", kind: e.kind() })
            }
        }
    }
    let size = file.metadata().map_err(CaptureError::io("inspect a recording"))?.len();
    if size < HEADER_LEN as u64 {
        drop(file);
        std::fs::remove_file(part).map_err(CaptureError::io("remove an empty recording"))?;
        return Ok(None);
    }
    let s = scan(part, audio_key, u64::MAX, Mode::Recover)?;
    if s.valid_end < size {
        file.set_len(s.valid_end).map_err(CaptureError::io("cut a torn chunk"))?;
    }
    if !s.complete {
        let sealed = ChunkCipher::new(audio_key, &s.header).seal(s.chunks, true, &[])?;
        file.seek(SeekFrom::End(0)).map_err(CaptureError::io("close a recording"))?;
        file.write_all(&(sealed.len() as u32).to_le_bytes())
            .and_then(|()| file.write_all(&sealed))
            .map_err(CaptureError::io("close a recording"))?;
    }
    file.sync_all().map_err(CaptureError::io("close a recording"))?;
    drop(file);
    let final_path = part.with_extension("").with_extension(FINISHED_EXT);
    std::fs::rename(part, &final_path).map_err(CaptureError::io("rename a recovered recording"))?;
    if let Some(dir) = final_path.parent() {
        sync_dir(dir);
    }
    Ok(Some(RecoveredRecording {
        path: final_path,
        duration_ms: frames_to_ms(s.sample_count, s.header.channels, s.header.sample_rate),
        discarded_bytes: size.saturating_sub(s.valid_end),
    }))
}
