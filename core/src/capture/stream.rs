//! Streaming a finished recording back as mono f32 (16 kHz for speech, 48 kHz for a video's
//! narration), a chunk at a time, so an hour of
//! interview is never held whole: authenticated chunk by chunk, mixed to mono, and resampled
//! with the same band-limited resampler as [`super::to_speech_rate`].

use super::format::{ChunkCipher, Header, HEADER_LEN};
use super::reader::{check_name, next_chunk, read_up_to};
use super::resample::SPEECH_RATE;
use super::CaptureError;
use crate::keystore::SecretKey;
use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// A finished recording, read as 16 kHz mono f32.
pub struct SpeechStream {
    file: BufReader<File>,
    cipher: ChunkCipher,
    channels: usize,
    next_chunk: u64,
    input_done: bool,
    resampler: Option<Fft<f32>>,
    ratio: f64,
    /// Mono input at the recording's rate, not yet resampled.
    pending: Vec<f32>,
    /// Output ready to hand out, from `out_pos`.
    out: Vec<f32>,
    out_pos: usize,
    scratch: Vec<f32>,
    /// Resampler start-up delay still to drop.
    trim: usize,
    frames_in: u64,
    frames_out: u64,
    total_frames: u64,
}

impl std::fmt::Debug for SpeechStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpeechStream").field("channels", &self.channels).finish_non_exhaustive()
    }
}

impl SpeechStream {
    /// Opens a finished recording. `total_frames` (frames at the recording's rate, e.g. from
    /// the graph's duration) only feeds progress reports.
    pub fn open(path: &Path, audio_key: &SecretKey) -> Result<SpeechStream, CaptureError> {
        Self::open_at_rate(path, audio_key, SPEECH_RATE)
    }

    /// Opens a finished recording to read as mono f32 at `rate` Hz (e.g. 48 kHz for a video's
    /// narration).
    pub fn open_at_rate(
        path: &Path,
        audio_key: &SecretKey,
        rate_out: u32,
    ) -> Result<SpeechStream, CaptureError> {
        let mut file =
            BufReader::new(File::open(path).map_err(CaptureError::io("open the recording"))?);
        let mut head = [0u8; HEADER_LEN];
        let got =
            read_up_to(&mut file, &mut head).map_err(CaptureError::io("read the recording"))?;
        let header = Header::parse(&head[..got])?;
        check_name(path, &header)?;
        let rate = header.sample_rate as usize;
        let resampler = if header.sample_rate == rate_out {
            None
        } else {
            Some(Fft::<f32>::new(rate, rate_out as usize, 1024, 1, FixedSync::Both).map_err(
                |_| CaptureError::UnsupportedFormat { reason: "resampler could not be set up" },
            )?)
        };
        let trim = resampler.as_ref().map_or(0, |r| r.output_delay());
        let size = file.get_ref().metadata().map_err(CaptureError::io("inspect the recording"))?;
        // Each chunk costs 4 + 16 bytes of framing; close enough for progress.
        let channels = usize::from(header.channels.max(1));
        let total_frames = size.len().saturating_sub(HEADER_LEN as u64) / 2 / channels as u64;
        Ok(SpeechStream {
            cipher: ChunkCipher::new(audio_key, &header),
            file,
            channels,
            next_chunk: 0,
            input_done: false,
            resampler,
            ratio: f64::from(rate_out) / rate as f64,
            pending: Vec::new(),
            out: Vec::new(),
            out_pos: 0,
            scratch: Vec::new(),
            trim,
            frames_in: 0,
            frames_out: 0,
            total_frames,
        })
    }

    /// About how many output samples the recording holds (for progress).
    pub fn estimated_samples(&self) -> u64 {
        (self.total_frames as f64 * self.ratio) as u64
    }

    /// Reads the next chunk into `pending`; false at the authenticated end.
    fn read_chunk(&mut self) -> Result<bool, CaptureError> {
        if self.input_done {
            return Ok(false);
        }
        let (plain, last) = next_chunk(&mut self.file, &self.cipher, self.next_chunk)?;
        self.next_chunk += 1;
        if plain.len() % (2 * self.channels) != 0 {
            return Err(CaptureError::NotARecording { reason: "ragged chunk" });
        }
        let scale = 1.0 / (f32::from(i16::MAX) * self.channels as f32);
        for frame in plain.chunks_exact(2 * self.channels) {
            let sum: f32 =
                frame.chunks_exact(2).map(|b| f32::from(i16::from_le_bytes([b[0], b[1]]))).sum();
            self.pending.push(sum * scale);
        }
        self.frames_in += (plain.len() / (2 * self.channels)) as u64;
        if last {
            let mut rest = [0u8; 1];
            if self.file.read(&mut rest).map_err(CaptureError::io("read the recording"))? != 0 {
                return Err(CaptureError::NotARecording { reason: "data after the closing chunk" });
            }
            self.input_done = true;
        }
        Ok(true)
    }

    fn push_out(&mut self, samples: &[f32]) {
        let skip = self.trim.min(samples.len());
        self.trim -= skip;
        self.out.extend_from_slice(&samples[skip..]);
    }

    /// Produces more output; false when everything has been handed out.
    fn refill(&mut self) -> Result<bool, CaptureError> {
        if self.out_pos > 0 {
            self.out.drain(..self.out_pos);
            self.out_pos = 0;
        }
        let Some(resampler) = self.resampler.as_mut() else {
            if self.pending.is_empty() && !self.read_chunk()? {
                return Ok(false);
            }
            self.out.append(&mut self.pending);
            return Ok(true);
        };
        let need = resampler.input_frames_next();
        while self.pending.len() < need && !self.input_done {
            self.read_chunk()?;
        }
        let resampler = self.resampler.as_mut().unwrap_or_else(|| unreachable!());
        let expected = (self.frames_in as f64 * self.ratio).ceil() as u64;
        if self.input_done && self.pending.is_empty() && self.frames_out >= expected {
            return Ok(false);
        }
        let avail = self.pending.len();
        let partial = (avail < need).then_some(avail);
        let mut padded;
        let input: &[f32] = if avail >= need {
            &self.pending[..need]
        } else {
            padded = self.pending.clone();
            padded.resize(need, 0.0);
            &padded
        };
        self.scratch.resize(resampler.output_frames_max(), 0.0);
        let failed = |_| CaptureError::UnsupportedFormat { reason: "resampling failed" };
        let adapter_in = InterleavedSlice::new(input, 1, input.len()).map_err(failed)?;
        let frames = self.scratch.len();
        let mut adapter_out =
            InterleavedSlice::new_mut(&mut self.scratch, 1, frames).map_err(failed)?;
        let indexing = Indexing { partial_len: partial, ..Indexing::new() };
        let (used, produced) = resampler
            .process_into_buffer(&adapter_in, &mut adapter_out, Some(&indexing))
            .map_err(|_| CaptureError::UnsupportedFormat { reason: "resampling failed" })?;
        self.pending.drain(..used.min(avail));
        let mut produced = produced;
        if self.input_done && self.pending.is_empty() {
            // Never hand out more than the input's length in output frames.
            let before_trim = self.trim.min(produced);
            let room = expected.saturating_sub(self.frames_out) as usize + before_trim;
            produced = produced.min(room);
        }
        let out_before = self.out.len();
        let scratch = std::mem::take(&mut self.scratch);
        self.push_out(&scratch[..produced]);
        self.scratch = scratch;
        self.frames_out += (self.out.len() - out_before) as u64;
        Ok(true)
    }

    /// Appends up to `max` samples to `out`; 0 at the end of the recording.
    pub fn read(&mut self, out: &mut Vec<f32>, max: usize) -> Result<usize, CaptureError> {
        let mut given = 0;
        while given < max {
            if self.out_pos == self.out.len() && !self.refill()? {
                break;
            }
            let n = (max - given).min(self.out.len() - self.out_pos);
            out.extend_from_slice(&self.out[self.out_pos..self.out_pos + n]);
            self.out_pos += n;
            given += n;
        }
        Ok(given)
    }
}
