//! Importing WAV files into recordings, streamed in blocks so a long file never sits in memory.

use super::format::check_format;
use super::{CaptureError, RecordingWriter};
use crate::keystore::SecretKey;
use std::path::{Path, PathBuf};

/// Frames read per block.
const BLOCK_FRAMES: usize = 4096;

fn import_error(e: &hound::Error) -> CaptureError {
    let reason = match e {
        hound::Error::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            "file is cut short"
        }
        hound::Error::IoError(_) => "file could not be read",
        hound::Error::FormatError(_) => "not a valid WAV file",
        hound::Error::TooWide | hound::Error::InvalidSampleFormat => "unsupported sample format",
        hound::Error::Unsupported => "unsupported WAV variant",
        _ => "WAV decoding failed",
    };
    CaptureError::Import { reason }
}

/// Imports a WAV file (8/16/24/32-bit integer or 32-bit float PCM, 8–48 kHz, mono or stereo)
/// as a new encrypted recording in `dir`. Returns its path and length in milliseconds. On any
/// failure nothing is left behind.
pub fn import_wav(
    wav: &Path,
    dir: &Path,
    audio_key: &SecretKey,
) -> Result<(PathBuf, u64), CaptureError> {
    let mut reader = hound::WavReader::open(wav).map_err(|e| import_error(&e))?;
    let spec = reader.spec();
    check_format(spec.sample_rate, spec.channels)?;
    if reader.duration() == 0 {
        return Err(CaptureError::Import { reason: "file holds no audio" });
    }
    let mut writer = RecordingWriter::create(dir, audio_key, spec.sample_rate, spec.channels)?;
    let result = copy_samples(&mut reader, &mut writer, spec);
    match result {
        Ok(()) => {
            let ms = writer.durable_ms_with_pending();
            let part = writer.part_path().to_path_buf();
            match writer.finish() {
                Ok(path) => Ok((path, ms)),
                Err(e) => {
                    // Not even the import's first seconds may come back as a "recovered" memory.
                    let _ = std::fs::remove_file(part);
                    Err(e)
                }
            }
        }
        Err(e) => {
            writer.discard();
            Err(e)
        }
    }
}

fn copy_samples<R: std::io::Read>(
    reader: &mut hound::WavReader<R>,
    writer: &mut RecordingWriter,
    spec: hound::WavSpec,
) -> Result<(), CaptureError> {
    let block = BLOCK_FRAMES * usize::from(spec.channels);
    match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, 32) => {
            let mut buf = Vec::with_capacity(block);
            for s in reader.samples::<f32>() {
                buf.push(s.map_err(|e| import_error(&e))?);
                if buf.len() == block {
                    writer.push_f32(&buf)?;
                    buf.clear();
                }
            }
            writer.push_f32(&buf)
        }
        (hound::SampleFormat::Int, bits @ 8..=32) => {
            let shift = i32::from(bits.saturating_sub(16));
            let up = i32::from(16u16.saturating_sub(bits));
            let mut buf = Vec::with_capacity(block);
            for s in reader.samples::<i32>() {
                let s = s.map_err(|e| import_error(&e))?;
                let s = if shift > 0 { s >> shift } else { s << up };
                buf.push(s.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16);
                if buf.len() == block {
                    writer.push_i16(&buf)?;
                    buf.clear();
                }
            }
            writer.push_i16(&buf)
        }
        _ => Err(CaptureError::Import { reason: "unsupported sample format" }),
    }
}
