//! Reading recordings back, and recovering interrupted ones.

use super::format::{ChunkCipher, Header, HEADER_LEN, MAX_CHUNK_PLAINTEXT, TAG_LEN};
use super::writer::{FINISHED_EXT, PART_EXT};
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
        let frames = self.samples.len() as u64 / u64::from(self.channels.max(1));
        frames * 1000 / u64::from(self.sample_rate.max(1))
    }
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

/// What a pass over the chunks found.
struct Scan {
    header: Header,
    samples: Vec<i16>,
    chunks: u64,
    /// Byte offset just past the last whole, authentic chunk.
    valid_end: u64,
    complete: bool,
}

/// Walks the chunks; stops at the last chunk, at end of file, or at the first bad chunk when
/// `tolerate_tail` (recovery), else fails on it.
fn scan(
    path: &Path,
    audio_key: &SecretKey,
    max_samples: u64,
    tolerate_tail: bool,
) -> Result<Scan, CaptureError> {
    let file = File::open(path).map_err(CaptureError::io("open the recording"))?;
    let mut r = BufReader::new(file);
    let mut head = [0u8; HEADER_LEN];
    let got = read_up_to(&mut r, &mut head).map_err(CaptureError::io("read the recording"))?;
    let header = Header::parse(&head[..got])?;
    let cipher = ChunkCipher::new(audio_key, &header);
    let mut out = Scan {
        header,
        samples: Vec::new(),
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
        let bad_len = got < 4 || !(TAG_LEN..=MAX_CHUNK_PLAINTEXT + TAG_LEN).contains(&len);
        let mut sealed = vec![0u8; if bad_len { 0 } else { len }];
        let whole = !bad_len
            && read_up_to(&mut r, &mut sealed).map_err(CaptureError::io("read the recording"))?
                == len;
        let opened = if whole {
            cipher.open(out.chunks, &sealed)
        } else {
            Err(CaptureError::Truncated { chunks: out.chunks })
        };
        let (plain, last) = match opened {
            Ok(ok) => ok,
            Err(_) if tolerate_tail => break,
            Err(e) => return Err(e),
        };
        if plain.len() % 2 != 0 {
            return Err(CaptureError::NotARecording { reason: "odd chunk length" });
        }
        if out.samples.len() as u64 + plain.len() as u64 / 2 > max_samples {
            let per_second = u64::from(out.header.sample_rate) * u64::from(out.header.channels);
            return Err(CaptureError::TooLong { max_seconds: max_samples / per_second.max(1) });
        }
        out.samples.extend(plain.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])));
        out.chunks += 1;
        out.valid_end += 4 + len as u64;
        if last {
            out.complete = true;
            break;
        }
    }
    Ok(out)
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
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

/// Reads a finished recording, refusing one longer than `max_seconds` before holding it.
pub fn read_recording(
    path: &Path,
    audio_key: &SecretKey,
    max_seconds: u32,
) -> Result<RecordedAudio, CaptureError> {
    let (rate, channels) = read_format(path)?;
    let max_samples = u64::from(max_seconds) * u64::from(rate) * u64::from(channels);
    let s = scan(path, audio_key, max_samples, false)?;
    if !s.complete {
        return Err(CaptureError::Truncated { chunks: s.chunks });
    }
    Ok(RecordedAudio {
        sample_rate: s.header.sample_rate,
        channels: s.header.channels,
        samples: s.samples,
    })
}

/// Finds recordings in `dir` that were interrupted (the app was killed, the phone died), keeps
/// every whole authentic chunk, cuts off a torn tail, writes the closing chunk and gives each its
/// final name. A `.part` file too short to hold a header held no audio and is removed.
pub fn recover_interrupted(
    dir: &Path,
    audio_key: &SecretKey,
) -> Result<Vec<RecoveredRecording>, CaptureError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(CaptureError::Io { op: "list the audio directory", kind: e.kind() }),
    };
    let mut parts: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(&format!(".{PART_EXT}")))
        })
        .collect();
    parts.sort();
    let mut recovered = Vec::new();
    for part in parts {
        let size = std::fs::metadata(&part).map_err(CaptureError::io("inspect a recording"))?.len();
        if size < HEADER_LEN as u64 {
            std::fs::remove_file(&part).map_err(CaptureError::io("remove an empty recording"))?;
            continue;
        }
        // Recovery holds one recording at a time; 12 hours bounds it.
        let s = scan(&part, audio_key, 12 * 3600 * 48_000 * 2, true)?;
        let mut file = OpenOptions::new()
            .write(true)
            .open(&part)
            .map_err(CaptureError::io("reopen a recording"))?;
        file.set_len(s.valid_end).map_err(CaptureError::io("cut a torn chunk"))?;
        if !s.complete {
            let sealed = ChunkCipher::new(audio_key, &s.header).seal(s.chunks, true, &[]);
            file.seek(SeekFrom::End(0)).map_err(CaptureError::io("close a recording"))?;
            file.write_all(&(sealed.len() as u32).to_le_bytes())
                .and_then(|()| file.write_all(&sealed))
                .and_then(|()| file.sync_all())
                .map_err(CaptureError::io("close a recording"))?;
        }
        let final_path = part.with_extension("").with_extension(FINISHED_EXT);
        std::fs::rename(&part, &final_path)
            .map_err(CaptureError::io("rename a recovered recording"))?;
        let audio = RecordedAudio {
            sample_rate: s.header.sample_rate,
            channels: s.header.channels,
            samples: s.samples,
        };
        recovered.push(RecoveredRecording {
            path: final_path,
            duration_ms: audio.duration_ms(),
            discarded_bytes: size - s.valid_end,
        });
    }
    Ok(recovered)
}
