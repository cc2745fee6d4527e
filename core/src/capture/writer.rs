//! Streaming, durable, encrypted recording.

use super::format::{check_format, ChunkCipher, Header};
use super::CaptureError;
use crate::keystore::SecretKey;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// How the shell's samples are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleFormat {
    /// Signed 16-bit.
    I16,
    /// 32-bit float in -1.0..=1.0 (clamped; NaN becomes silence).
    F32,
}

/// File name ending of a finished recording.
pub(crate) const FINISHED_EXT: &str = "hla";
/// File name ending of a recording still being written (or interrupted).
pub(crate) const PART_EXT: &str = "hla.part";

/// One recording being written. Audio is durable on disk within a second of being pushed.
pub struct RecordingWriter {
    file: Option<File>,
    part_path: PathBuf,
    final_path: PathBuf,
    header: Header,
    cipher: ChunkCipher,
    next_index: u64,
    /// Interleaved i16 samples not yet sealed (less than one second).
    pending: Vec<i16>,
    frames_written: u64,
}

impl std::fmt::Debug for RecordingWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordingWriter")
            .field("path", &self.part_path)
            .field("frames_written", &self.frames_written)
            .finish_non_exhaustive()
    }
}

pub(crate) fn sync_dir(dir: &Path) {
    // Makes the file's creation or rename durable; best effort where directories can't be synced.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

impl RecordingWriter {
    /// Starts a recording in `dir` (created if needed) at the given format.
    pub fn create(
        dir: &Path,
        audio_key: &SecretKey,
        sample_rate: u32,
        channels: u16,
    ) -> Result<Self, CaptureError> {
        check_format(sample_rate, channels)?;
        let mut file_id = [0u8; 16];
        getrandom::fill(&mut file_id).map_err(|_| CaptureError::Io {
            op: "draw a file id",
            kind: std::io::ErrorKind::Other,
        })?;
        let header = Header { sample_rate, channels, file_id };
        std::fs::create_dir_all(dir).map_err(CaptureError::io("create the audio directory"))?;
        let name: String = file_id.iter().map(|b| format!("{b:02x}")).collect();
        let part_path = dir.join(format!("{name}.{PART_EXT}"));
        let final_path = dir.join(format!("{name}.{FINISHED_EXT}"));
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&part_path)
            .map_err(CaptureError::io("create the recording"))?;
        // Held for the writer's life: recovery skips files a live recording still holds.
        file.try_lock().map_err(|_| CaptureError::Io {
            op: "lock the recording",
            kind: std::io::ErrorKind::WouldBlock,
        })?;
        file.write_all(&header.encode())
            .and_then(|()| file.sync_all())
            .map_err(CaptureError::io("write the recording header"))?;
        sync_dir(dir);
        let cipher = ChunkCipher::new(audio_key, &header);
        Ok(Self {
            file: Some(file),
            part_path,
            final_path,
            header,
            cipher,
            next_index: 0,
            pending: Vec::with_capacity(sample_rate as usize * channels as usize),
            frames_written: 0,
        })
    }

    /// Appends interleaved i16 frames.
    pub fn push_i16(&mut self, samples: &[i16]) -> Result<(), CaptureError> {
        self.check_ragged(samples.len())?;
        self.push_samples(samples.iter().copied())
    }

    /// Appends interleaved f32 frames in -1.0..=1.0.
    pub fn push_f32(&mut self, samples: &[f32]) -> Result<(), CaptureError> {
        self.check_ragged(samples.len())?;
        self.push_samples(samples.iter().map(|&s| {
            let s = if s.is_nan() { 0.0 } else { s.clamp(-1.0, 1.0) };
            (s * f32::from(i16::MAX)).round() as i16
        }))
    }

    fn check_ragged(&self, len: usize) -> Result<(), CaptureError> {
        if self.file.is_none() {
            return Err(CaptureError::Closed);
        }
        if !len.is_multiple_of(usize::from(self.header.channels)) {
            return Err(CaptureError::RaggedFrames { len, channels: self.header.channels });
        }
        Ok(())
    }

    fn chunk_samples(&self) -> usize {
        self.header.sample_rate as usize * usize::from(self.header.channels)
    }

    fn push_samples(&mut self, samples: impl Iterator<Item = i16>) -> Result<(), CaptureError> {
        for s in samples {
            self.pending.push(s);
            if self.pending.len() == self.chunk_samples() {
                self.seal_pending(false)?;
            }
        }
        Ok(())
    }

    /// Seals what is pending as the next chunk, writes it and syncs it to disk.
    fn seal_pending(&mut self, last: bool) -> Result<(), CaptureError> {
        let file = self.file.as_mut().ok_or(CaptureError::Closed)?;
        let plain = zeroize::Zeroizing::new(
            self.pending.iter().flat_map(|s| s.to_le_bytes()).collect::<Vec<u8>>(),
        );
        let sealed = self.cipher.seal(self.next_index, last, &plain)?;
        let mut record = Vec::with_capacity(4 + sealed.len());
        record.extend_from_slice(&(sealed.len() as u32).to_le_bytes());
        record.extend_from_slice(&sealed);
        let written = file.write_all(&record).and_then(|()| file.sync_data());
        if let Err(e) = written {
            // A half-written chunk is cut off by recovery; stop writing after the failure.
            self.file = None;
            return Err(CaptureError::Io { op: "write audio", kind: e.kind() });
        }
        self.frames_written += (self.pending.len() / usize::from(self.header.channels)) as u64;
        self.pending.clear();
        self.next_index += 1;
        Ok(())
    }

    /// Seals what is pending now, without waiting for a whole second: call when the shell pauses
    /// or goes to the background, so a pause never holds audio only in memory.
    pub fn flush(&mut self) -> Result<(), CaptureError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.seal_pending(false)
    }

    /// The file being written (a `.part` until `finish`).
    pub fn part_path(&self) -> &Path {
        &self.part_path
    }

    /// Audio durable on disk so far, in milliseconds.
    pub fn durable_ms(&self) -> u64 {
        self.frames_written * 1000 / u64::from(self.header.sample_rate)
    }

    /// Sample rate and channel count.
    pub fn format(&self) -> (u32, u16) {
        (self.header.sample_rate, self.header.channels)
    }

    /// Audio pushed so far (durable or pending), in milliseconds.
    pub fn durable_ms_with_pending(&self) -> u64 {
        let pending = (self.pending.len() / usize::from(self.header.channels)) as u64;
        (self.frames_written + pending) * 1000 / u64::from(self.header.sample_rate)
    }

    /// Abandons the recording and deletes its file (a failed import, a cancelled take).
    pub fn discard(mut self) {
        self.pending.clear();
        self.file = None;
        let _ = std::fs::remove_file(&self.part_path);
    }

    /// Closes the recording: the rest of the audio and the closing chunk are written and synced,
    /// and the file gets its final name, which it returns.
    pub fn finish(mut self) -> Result<PathBuf, CaptureError> {
        self.seal_pending(true)?;
        self.file = None;
        std::fs::rename(&self.part_path, &self.final_path)
            .map_err(CaptureError::io("close the recording"))?;
        if let Some(dir) = self.final_path.parent() {
            sync_dir(dir);
        }
        Ok(self.final_path.clone())
    }
}

#[cfg(test)]
impl RecordingWriter {
    /// What a crash leaves: pending audio lost, the file closed (its lock released) unsealed.
    pub(crate) fn simulate_crash(mut self) {
        self.pending.clear();
        self.file = None;
    }
}

impl Drop for RecordingWriter {
    /// Dropped without `finish`: keep what is pending as an ordinary chunk, so the `.part` file
    /// holds every pushed sample and [`super::recover_interrupted`] closes it later.
    fn drop(&mut self) {
        if self.file.is_some() && !self.pending.is_empty() {
            let _ = self.seal_pending(false);
        }
    }
}
