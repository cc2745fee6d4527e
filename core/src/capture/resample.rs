//! To 16 kHz mono, the rate speech recognition runs at, with a real band-limited resampler
//! (rubato's FFT resampler), never by dropping samples: dropping would fold everything above
//! 8 kHz back into the speech band as noise.

use super::{CaptureError, RecordedAudio};
use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};

/// The rate speech recognition expects.
pub const SPEECH_RATE: u32 = 16_000;

/// Mixes to mono and resamples to [`SPEECH_RATE`]; samples are f32 in -1.0..=1.0.
pub fn to_speech_rate(audio: &RecordedAudio) -> Result<Vec<f32>, CaptureError> {
    let channels = usize::from(audio.channels.max(1));
    let scale = 1.0 / (f32::from(i16::MAX) * channels as f32);
    let mono: Vec<f32> = audio
        .samples
        .chunks_exact(channels)
        .map(|frame| frame.iter().map(|&s| f32::from(s)).sum::<f32>() * scale)
        .collect();
    if audio.sample_rate == SPEECH_RATE || mono.is_empty() {
        return Ok(mono);
    }
    let failed = |_| CaptureError::UnsupportedFormat { reason: "resampler could not be set up" };
    let mut resampler =
        Fft::<f32>::new(audio.sample_rate as usize, SPEECH_RATE as usize, 1024, 1, FixedSync::Both)
            .map_err(failed)?;
    let input = InterleavedSlice::new(&mono, 1, mono.len())
        .map_err(|_| CaptureError::UnsupportedFormat { reason: "resampler input size" })?;
    let output = resampler
        .process_all(&input, mono.len(), None)
        .map_err(|_| CaptureError::UnsupportedFormat { reason: "resampling failed" })?;
    Ok(output.take_data())
}
