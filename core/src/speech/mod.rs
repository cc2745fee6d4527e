//! Speech: on-device speech-to-text with whisper.cpp (through `whisper-rs`).
//!
//! A [`SpeechModel`] is loaded once and shared (`Arc`); every transcription gets its own whisper
//! state, so several can run at once on one model. Audio arrives as 16 kHz mono f32 from an
//! [`AudioSource`] (a slice, or a recording streamed from disk), so an hour of interview is held
//! a chunk at a time, never whole.
//!
//! The pipeline (`docs/SPEECH.md`): a voice-activity stage finds speech (whisper invents words on
//! silence and noise, so silence never reaches it); speech regions are packed into chunks of at
//! most 28 s, cut only at pauses (or, in a long unbroken stretch, at its quietest point), so no
//! word is decoded twice or lost at a boundary; each chunk is decoded greedily with the graph's
//! names in the initial prompt; segment timestamps are mapped back to the recording's time line.
//! Progress goes to a [`SpeechListener`]; a [`CancelToken`] stops a job within a fraction of a
//! second (whisper.cpp checks it between graph nodes).

mod model;
mod threads;
mod transcribe;
mod vad;

pub use model::{ModelKind, SpeechModel, MODELS_ENV};
pub use threads::choose_threads;
pub use transcribe::{
    transcribe, AudioSource, CancelToken, SliceSource, SpeechListener, TranscribeOptions,
    Transcript, TranscriptSegment,
};
pub use vad::{speech_regions, VadConfig};

/// A speech failure. Messages never carry transcript text or audio.
#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    /// The model file is not where it should be (run `models/fetch.sh`).
    #[error("speech model {name} is not installed (run models/fetch.sh)")]
    ModelMissing { name: String },
    /// The model file is not a whisper.cpp model, or whisper.cpp refused it.
    #[error("speech model could not be loaded: {reason}")]
    ModelInvalid { reason: &'static str },
    /// The job was cancelled.
    #[error("transcription was cancelled")]
    Cancelled,
    /// The language is not one the model knows, or needs a multilingual model.
    #[error("unsupported language {code:?} for this model")]
    Language { code: String },
    /// Options out of range.
    #[error("invalid transcription options: {reason}")]
    InvalidOptions { reason: &'static str },
    /// The audio could not be read.
    #[error(transparent)]
    Audio(#[from] crate::capture::CaptureError),
    /// whisper.cpp failed while decoding.
    #[error("speech recognition failed ({stage})")]
    Engine { stage: &'static str },
}

#[cfg(test)]
mod tests;
