//! Voice memories: recordings made or imported into the data directory's `audio/` folder become
//! memories with a recording row, and interrupted recordings found at start-up are recovered
//! into memories too, so the app can list them and nothing is silently dropped.

use super::memories::load_memory;
use super::model::*;
use super::{now_ms, GraphError, MemoryGraph};
use crate::capture::{self, RecordingWriter, AUDIO_KEY_PURPOSE};
use crate::keystore::SecretKey;
use rusqlite::params;
use std::path::Path;

/// Title given to a recording recovered after an interruption, until the owner renames it.
pub const RECOVERED_TITLE: &str = "Recovered recording";

impl MemoryGraph {
    fn audio_key(&self) -> SecretKey {
        self.db.derive_key(AUDIO_KEY_PURPOSE)
    }

    fn audio_dir(&self) -> std::path::PathBuf {
        self.data_dir.join(super::media::AUDIO_DIR)
    }

    /// Starts a recording; push frames into it, then [`MemoryGraph::save_recording`].
    pub fn start_recording(
        &self,
        sample_rate: u32,
        channels: u16,
    ) -> Result<RecordingWriter, GraphError> {
        Ok(RecordingWriter::create(&self.audio_dir(), &self.audio_key(), sample_rate, channels)?)
    }

    /// Closes a recording and stores it as a new voice memory.
    pub fn save_recording(
        &self,
        writer: RecordingWriter,
        title: &str,
    ) -> Result<(Memory, Recording), GraphError> {
        super::codec::check_text(title, "title", super::memories::MAX_TITLE_CHARS)?;
        let duration_ms = writer.durable_ms_with_pending();
        let (rate, _) = writer.format();
        let path = writer.finish()?;
        self.store_voice_memory(&path, title, duration_ms, rate)
    }

    /// Imports a WAV file as a new voice memory (the audio is re-encrypted into `audio/`).
    pub fn import_audio(&self, wav: &Path, title: &str) -> Result<(Memory, Recording), GraphError> {
        super::codec::check_text(title, "title", super::memories::MAX_TITLE_CHARS)?;
        let (path, duration_ms) = capture::import_wav(wav, &self.audio_dir(), &self.audio_key())?;
        let rate = capture::read_format(&path)?.0;
        self.store_voice_memory(&path, title, duration_ms, rate)
    }

    /// Recovers recordings interrupted by a crash or kill and stores each as a voice memory
    /// titled [`RECOVERED_TITLE`]. Call at start-up; returns what was recovered.
    pub fn recover_recordings(&self) -> Result<Vec<(Memory, Recording)>, GraphError> {
        let recovered = capture::recover_interrupted(&self.audio_dir(), &self.audio_key())?;
        let mut stored = Vec::with_capacity(recovered.len());
        for r in recovered {
            let rate = capture::read_format(&r.path)?.0;
            stored.push(self.store_voice_memory(&r.path, RECOVERED_TITLE, r.duration_ms, rate)?);
        }
        Ok(stored)
    }

    /// The audio of a recording, as stored.
    pub fn recording_audio(
        &self,
        recording: &Recording,
        max_seconds: u32,
    ) -> Result<capture::RecordedAudio, GraphError> {
        let path = self
            .data_file(&recording.audio_path)
            .ok_or_else(|| GraphError::invalid("recording path is not a file reference"))?;
        Ok(capture::read_recording(&path, &self.audio_key(), max_seconds)?)
    }

    fn store_voice_memory(
        &self,
        path: &Path,
        title: &str,
        duration_ms: u64,
        sample_rate: u32,
    ) -> Result<(Memory, Recording), GraphError> {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| GraphError::invalid("recording file name is not UTF-8"))?;
        let relative = format!("{}/{name}", super::media::AUDIO_DIR);
        let new = NewMemory {
            title: title.to_owned(),
            told_at_ms: now_ms(),
            source: MemorySource::Voice,
            about_when: None,
            about_status: FactStatus::Inferred,
        };
        self.db.write(|tx| {
            let memory_id = super::memories::insert_memory(tx, &new, &super::codec::encode_about(None)?)?;
            tx.execute(
                "INSERT INTO recording (memory_id, audio_path, duration_ms, sample_rate, created_at_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![memory_id, relative, duration_ms as i64, sample_rate, now_ms()],
            )?;
            let recording = super::media::load_recordings(tx, memory_id)?
                .pop()
                .ok_or(GraphError::NotFound { what: "recording", id: memory_id })?;
            Ok((load_memory(tx, memory_id)?, recording))
        })
    }
}
