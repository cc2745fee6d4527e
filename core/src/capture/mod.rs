//! Capture: a person talks, and every second of their audio is kept safe on disk as it arrives.
//!
//! The shells push PCM frames (i16 or f32, 8–48 kHz, mono or stereo) into a [`RecordingWriter`].
//! Audio is written in small authenticated, encrypted chunks — at most one second each, each
//! synced to disk — so a crash or `kill -9` loses at most the last second, and nothing of a
//! recording is readable in the data directory without the store's key. A recording still being
//! written is a `.part` file; [`recover_interrupted`] finds those on the next start, keeps every
//! whole chunk, and closes them properly, so an interrupted story is recovered, never dropped.
//!
//! File format (`docs/AUDIO.md`): a plaintext header (magic, version, sample rate, channels, a
//! random file id), then chunks of `u32 length ‖ ChaCha20-Poly1305 ciphertext`. Each file has its
//! own key, derived from the store's audio key and the file id; chunk `n`'s nonce is `n` with a
//! flag for the last chunk (the STREAM construction), and the header is the associated data, so
//! chunks cannot be reordered, dropped from the end, or moved between files unnoticed.

mod format;
mod import;
mod reader;
mod resample;
mod stream;
mod writer;

pub use import::import_wav;
pub use reader::{
    read_format, read_recording, recording_duration_ms, recover_interrupted, RecordedAudio,
    RecoveredRecording, RecoveryReport, WavReader,
};
pub use resample::{to_speech_rate, SPEECH_RATE};
pub use stream::SpeechStream;
pub use writer::{RecordingWriter, SampleFormat};

/// Purpose string for the audio key derived from the store key.
pub const AUDIO_KEY_PURPOSE: &str = "heirloom/audio/v1";

/// A capture failure. Messages never carry audio or user content.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// Sample rate or channel count outside what the app may push.
    #[error("unsupported audio format: {reason}")]
    UnsupportedFormat { reason: &'static str },
    /// A frame buffer whose length does not fit the channel count.
    #[error("frame buffer length {len} is not a multiple of {channels} channels")]
    RaggedFrames { len: usize, channels: u16 },
    /// The file is not a Heirloom recording, or its header is cut short.
    #[error("not a recording: {reason}")]
    NotARecording { reason: &'static str },
    /// A chunk failed authentication: wrong key, tampering, or corruption.
    #[error("recording chunk {index} failed authentication")]
    Tampered { index: u64 },
    /// The recording ends before its last chunk (cut short).
    #[error("recording is truncated after chunk {chunks}")]
    Truncated { chunks: u64 },
    /// Longer than this build will hold in memory at once.
    #[error("recording is longer than {max_seconds} s")]
    TooLong { max_seconds: u64 },
    /// An audio file to import could not be read (not a WAV file, cut short, corrupt).
    #[error("cannot import audio: {reason}")]
    Import { reason: &'static str },
    /// The writer was already finished or failed.
    #[error("the recording is already closed")]
    Closed,
    /// A file-system failure.
    #[error("could not {op}: {kind}")]
    Io { op: &'static str, kind: std::io::ErrorKind },
}

impl CaptureError {
    pub(crate) fn io(op: &'static str) -> impl FnOnce(std::io::Error) -> Self {
        move |e| Self::Io { op, kind: e.kind() }
    }
}

#[cfg(test)]
mod tests;
