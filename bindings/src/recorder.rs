//! Recorder sub-object: recording sessions, WAV import, recovery of interrupted recordings.

use crate::session::Session;
use crate::ApiError;
use heirloom_core::capture::RecordingWriter;
use heirloom_core::graph::{Memory, Recording};
use std::sync::{Arc, Mutex};

/// A voice memory and its recording.
#[derive(Debug, Clone, uniffi::Record)]
pub struct VoiceMemory {
    pub memory: Memory,
    pub recording: Recording,
}

impl From<(Memory, Recording)> for VoiceMemory {
    fn from((memory, recording): (Memory, Recording)) -> Self {
        Self { memory, recording }
    }
}

/// Records and imports voice memories.
#[derive(Debug, uniffi::Object)]
pub struct Recorder {
    session: Arc<Session>,
}

impl Recorder {
    pub(crate) fn new(session: Arc<Session>) -> Self {
        Self { session }
    }
}

#[uniffi::export]
impl Recorder {
    /// Starts a recording session (8–48 kHz, mono or stereo).
    pub fn start(
        &self,
        sample_rate: u32,
        channels: u16,
    ) -> Result<Arc<RecordingSession>, ApiError> {
        let writer = self.session.with(|g| g.start_recording(sample_rate, channels))?;
        Ok(Arc::new(RecordingSession {
            session: self.session.clone(),
            writer: Mutex::new(Some(writer)),
        }))
    }

    /// Imports a WAV file as a voice memory.
    pub fn import_wav(&self, path: String, title: String) -> Result<VoiceMemory, ApiError> {
        self.session.with(|g| g.import_audio(std::path::Path::new(&path), &title)).map(Into::into)
    }

    /// Recovers recordings interrupted by a crash into voice memories; call at start-up.
    pub fn recover(&self) -> Result<Vec<VoiceMemory>, ApiError> {
        self.session
            .with(|g| g.recover_recordings())
            .map(|(v, _)| v.into_iter().map(Into::into).collect())
    }
}

/// One recording in progress. Pushed audio is on disk within a second; dropping the session
/// without `stop` or `cancel` leaves it for `Recorder.recover`.
#[derive(Debug, uniffi::Object)]
pub struct RecordingSession {
    session: Arc<Session>,
    writer: Mutex<Option<RecordingWriter>>,
}

impl RecordingSession {
    fn with_writer<T>(
        &self,
        f: impl FnOnce(&mut RecordingWriter) -> Result<T, heirloom_core::capture::CaptureError>,
    ) -> Result<T, ApiError> {
        let mut guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let writer = guard
            .as_mut()
            .ok_or(ApiError::Conflict { reason: "the recording is already closed".into() })?;
        f(writer).map_err(Into::into)
    }

    fn take(&self) -> Result<RecordingWriter, ApiError> {
        self.writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .ok_or(ApiError::Conflict { reason: "the recording is already closed".into() })
    }
}

#[uniffi::export]
impl RecordingSession {
    /// Appends interleaved 16-bit frames.
    pub fn push_i16(&self, samples: Vec<i16>) -> Result<(), ApiError> {
        self.with_writer(|w| w.push_i16(&samples))
    }

    /// Appends interleaved float frames in -1.0..=1.0.
    pub fn push_f32(&self, samples: Vec<f32>) -> Result<(), ApiError> {
        self.with_writer(|w| w.push_f32(&samples))
    }

    /// Milliseconds of audio pushed so far.
    pub fn duration_ms(&self) -> Result<u64, ApiError> {
        self.with_writer(|w| Ok(w.durable_ms_with_pending()))
    }

    /// Stops and stores the recording as a voice memory.
    pub fn stop(&self, title: String) -> Result<VoiceMemory, ApiError> {
        let mut guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            return Err(ApiError::Conflict { reason: "the recording is already closed".into() });
        }
        self.session.with(|g| g.save_recording(&mut guard, &title)).map(Into::into)
    }

    /// Writes what is pending to disk now (call when the app pauses or goes to the background).
    pub fn flush(&self) -> Result<(), ApiError> {
        self.with_writer(RecordingWriter::flush)
    }

    /// Stops and deletes the recording.
    pub fn cancel(&self) -> Result<(), ApiError> {
        self.take()?.discard();
        Ok(())
    }
}
