//! Voice memories: recordings made or imported into the data directory's `audio/` folder become
//! memories with a recording row, and interrupted recordings found at start-up are recovered
//! into memories too, so the app can list them and nothing is silently dropped.

use super::memories::load_memory;
use super::model::*;
use super::{now_ms, GraphError, MemoryGraph};
use crate::capture::{self, RecordingWriter, AUDIO_KEY_PURPOSE};
use crate::keystore::SecretKey;
use crate::speech::{
    self, CancelToken, SpeechListener, SpeechModel, TranscribeOptions, Transcript,
};
use rusqlite::params;
use std::path::Path;
use std::sync::Arc;

/// Names given to the recogniser as vocabulary, at most.
const VOCABULARY_NAMES: u32 = 40;

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

    /// Closes the recording in `writer` and stores it as a new voice memory. The writer is taken
    /// only once the title is valid, so a rejected title leaves the recording open.
    pub fn save_recording(
        &self,
        writer: &mut Option<RecordingWriter>,
        title: &str,
    ) -> Result<(Memory, Recording), GraphError> {
        super::codec::check_text(title, "title", super::memories::MAX_TITLE_CHARS)?;
        let writer = writer.take().ok_or(crate::capture::CaptureError::Closed)?;
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

    /// Recovers recordings interrupted by a crash or kill, and finished recordings that never
    /// reached the graph (a crash between closing the file and storing the memory), and stores
    /// each as a voice memory titled [`RECOVERED_TITLE`]. Call at start-up. A recording that
    /// cannot be recovered is left untouched and counted in the second value.
    pub fn recover_recordings(&self) -> Result<(Vec<(Memory, Recording)>, u32), GraphError> {
        let dir = self.audio_dir();
        let key = self.audio_key();
        let report = capture::recover_interrupted(&dir, &key)?;
        let mut failed = report.failed.len() as u32;
        let known: std::collections::HashSet<String> = self.db.read(|tx| {
            let mut stmt = tx.prepare("SELECT audio_path FROM recording")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            Ok::<_, GraphError>(rows.collect::<Result<_, _>>()?)
        })?;
        let mut orphans: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
            .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        orphans.retain(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.ends_with(".hla")
                && !known.contains(&format!("{}/{name}", super::media::AUDIO_DIR))
        });
        orphans.sort();
        let mut stored = Vec::new();
        for path in orphans {
            let format = capture::read_format(&path);
            let duration = capture::recording_duration_ms(&path, &key);
            match (format, duration) {
                (Ok((rate, _)), Ok(ms)) => {
                    stored.push(self.store_voice_memory(&path, RECOVERED_TITLE, ms, rate)?)
                }
                _ => failed += 1,
            }
        }
        Ok((stored, failed))
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

    /// A recording as a 16-bit WAV file, verified and then streamed in constant memory.
    pub fn recording_wav(&self, recording: &Recording) -> Result<capture::WavReader, GraphError> {
        let path = self
            .data_file(&recording.audio_path)
            .ok_or_else(|| GraphError::invalid("recording path is not a file reference"))?;
        Ok(capture::WavReader::open(&path, &self.audio_key())?)
    }

    /// Transcribes a recording with `model` and stores the transcript as its segments,
    /// replacing an earlier machine transcript but keeping the owner's corrections. Unless
    /// `options.vocabulary` is given, the names of people and places in the graph (most
    /// mentioned first) bias recognition toward their spelling. The audio is streamed from
    /// disk, never held whole.
    pub fn transcribe_recording(
        &self,
        recording: RecordingId,
        model: &Arc<SpeechModel>,
        options: &TranscribeOptions,
        listener: Option<Arc<dyn SpeechListener>>,
        cancel: &CancelToken,
    ) -> Result<(Transcript, Vec<Segment>), GraphError> {
        let rec = self.recording(recording)?;
        let path = self
            .data_file(&rec.audio_path)
            .ok_or_else(|| GraphError::invalid("recording path is not a file reference"))?;
        let mut options = options.clone();
        if options.vocabulary.is_empty() {
            options.vocabulary = self.vocabulary(VOCABULARY_NAMES)?;
        }
        let mut source = RecordingSource(capture::SpeechStream::open(&path, &self.audio_key())?);
        let transcript = speech::transcribe(model, &mut source, &options, listener, cancel)?;
        let segments: Vec<NewSegment> = transcript
            .segments
            .iter()
            .map(|s| NewSegment {
                start_ms: s.start_ms as i64,
                end_ms: s.end_ms as i64,
                text: s.text.clone(),
                confidence: f64::from(s.confidence),
            })
            .collect();
        let stored =
            self.store_transcript(recording, &transcript.model, &transcript.language, &segments)?;
        Ok((transcript, stored))
    }

    /// A recording streamed as mono f32 at `rate` Hz, authenticated chunk by chunk (a video's
    /// narration reads it at 48 kHz).
    pub fn recording_stream(
        &self,
        recording: RecordingId,
        rate: u32,
    ) -> Result<capture::SpeechStream, GraphError> {
        let rec = self.recording(recording)?;
        let path = self
            .data_file(&rec.audio_path)
            .ok_or_else(|| GraphError::invalid("recording path is not a file reference"))?;
        Ok(capture::SpeechStream::open_at_rate(&path, &self.audio_key(), rate)?)
    }

    /// Names of people and places, most mentioned first: the recogniser's vocabulary.
    pub fn vocabulary(&self, limit: u32) -> Result<Vec<String>, GraphError> {
        self.db.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT e.display_name FROM entity e \
                 WHERE e.kind IN ('person', 'place') AND e.merged_into IS NULL \
                 ORDER BY (SELECT count(*) FROM mention m WHERE m.entity_id = e.id) DESC, e.id \
                 LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
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

/// A recording streamed from disk as the recogniser's audio.
struct RecordingSource(capture::SpeechStream);

impl speech::AudioSource for RecordingSource {
    fn read(&mut self, out: &mut Vec<f32>, max: usize) -> Result<usize, speech::SpeechError> {
        Ok(self.0.read(out, max)?)
    }

    fn total_samples(&self) -> Option<u64> {
        Some(self.0.estimated_samples())
    }
}
