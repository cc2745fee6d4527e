//! Speech sub-object: on-device transcription of recordings into the graph, with a progress
//! listener and a cancel handle.

use crate::session::Session;
use crate::ApiError;
use heirloom_core::graph::{RetranscriptionQueue, Segment};
use heirloom_core::speech::{
    CancelToken, ModelKind, SpeechListener, SpeechModel, TranscribeOptions, TranscriptSegment,
};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The speech models Heirloom ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum SpeechModelKind {
    /// English only; fast enough to run while recording.
    TinyEn,
    /// Multilingual with language detection; better and slower (run it when charging).
    Base,
}

impl From<SpeechModelKind> for ModelKind {
    fn from(k: SpeechModelKind) -> Self {
        match k {
            SpeechModelKind::TinyEn => ModelKind::TinyEn,
            SpeechModelKind::Base => ModelKind::Base,
        }
    }
}

/// How to transcribe.
#[derive(Debug, Clone, uniffi::Record)]
pub struct TranscribeConfig {
    pub model: SpeechModelKind,
    /// ISO 639-1 code; null: English for tiny.en, detected for base.
    #[uniffi(default = None)]
    pub language: Option<String>,
    /// Threads; null: chosen from the free cores.
    #[uniffi(default = None)]
    pub threads: Option<u32>,
}

/// A recognised piece of speech, as it arrives.
#[derive(Debug, Clone, uniffi::Record)]
pub struct HeardSegment {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
    pub confidence: f32,
}

impl From<&TranscriptSegment> for HeardSegment {
    fn from(s: &TranscriptSegment) -> Self {
        Self {
            start_ms: s.start_ms,
            end_ms: s.end_ms,
            text: s.text.clone(),
            confidence: s.confidence,
        }
    }
}

/// A finished transcription, stored in the graph.
#[derive(Debug, Clone, uniffi::Record)]
pub struct TranscriptionResult {
    pub model: String,
    pub language: String,
    pub audio_ms: u64,
    /// Audio the recogniser ran on (the speech found); the rest was silence.
    pub speech_ms: u64,
    /// What was heard.
    pub heard: Vec<HeardSegment>,
    /// The memory's segments as now stored (the owner's corrections kept).
    pub segments: Vec<Segment>,
}

/// Hears a transcription's progress. Called on the transcribing thread.
#[uniffi::export(with_foreign)]
pub trait TranscriptionListener: Send + Sync {
    /// `done_ms` of `total_ms` of the audio has been transcribed.
    fn on_progress(&self, done_ms: u64, total_ms: Option<u64>);
    /// A segment was recognised (segments arrive in time order).
    fn on_segment(&self, segment: HeardSegment);
}

struct Forward(Arc<dyn TranscriptionListener>);

impl SpeechListener for Forward {
    fn progress(&self, done_ms: u64, total_ms: Option<u64>) {
        self.0.on_progress(done_ms, total_ms);
    }
    fn segment(&self, segment: &TranscriptSegment) {
        self.0.on_segment(segment.into());
    }
}

/// Cancels a transcription from any thread; the job ends with `Cancelled` within a fraction of a
/// second.
#[derive(Debug, Default, uniffi::Object)]
pub struct CancelHandle {
    token: CancelToken,
}

#[uniffi::export]
impl CancelHandle {
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub fn cancel(&self) {
        self.token.cancel();
    }

    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }
}

impl CancelHandle {
    /// The core's token behind this handle.
    pub(crate) fn token(&self) -> &CancelToken {
        &self.token
    }
}

/// Transcribes recordings on the device. Models load on first use and stay loaded, shared by
/// every job.
#[derive(Debug, uniffi::Object)]
pub struct Transcriber {
    session: Arc<Session>,
    models_dir: PathBuf,
    loaded: Mutex<HashMap<ModelKind, Arc<SpeechModel>>>,
    queue: RetranscriptionQueue,
}

/// What a background run did.
#[derive(Debug, Clone, uniffi::Record)]
pub struct BackgroundReport {
    /// Recordings transcribed again with the better model.
    pub done: Vec<i64>,
    /// Recordings whose audio could not be read (left as they were).
    pub failed: Vec<i64>,
    /// Whether the run stopped because the device stopped charging or being idle.
    pub interrupted: bool,
}

impl Transcriber {
    pub(crate) fn new(session: Arc<Session>, models_dir: PathBuf) -> Self {
        Self {
            session,
            models_dir,
            loaded: Mutex::new(HashMap::new()),
            queue: RetranscriptionQueue::new(),
        }
    }

    fn model(&self, kind: ModelKind) -> Result<Arc<SpeechModel>, ApiError> {
        let mut loaded = self.loaded.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(m) = loaded.get(&kind) {
            return Ok(m.clone());
        }
        let model = Arc::new(SpeechModel::load_kind(kind, &self.models_dir)?);
        loaded.insert(kind, model.clone());
        Ok(model)
    }
}

#[uniffi::export]
impl Transcriber {
    /// Transcribes a recording and stores the transcript as its memory's segments, replacing
    /// an earlier machine transcript and keeping the owner's corrections. Blocks: call it off
    /// the main thread. Names of people and places in the graph bias recognition.
    pub fn transcribe_recording(
        &self,
        recording_id: i64,
        config: TranscribeConfig,
        listener: Option<Arc<dyn TranscriptionListener>>,
        cancel: Arc<CancelHandle>,
    ) -> Result<TranscriptionResult, ApiError> {
        let model = self.model(config.model.into())?;
        let options = TranscribeOptions {
            language: config.language,
            threads: config.threads.map(|t| t as usize),
            ..Default::default()
        };
        let listener = listener.map(|l| Arc::new(Forward(l)) as Arc<dyn SpeechListener>);
        let (t, segments) = self.session.with(|g| {
            g.transcribe_recording(recording_id, &model, &options, listener, &cancel.token)
        })?;
        Ok(TranscriptionResult {
            model: t.model.clone(),
            language: t.language.clone(),
            audio_ms: t.audio_ms,
            speech_ms: t.speech_ms,
            heard: t.segments.iter().map(Into::into).collect(),
            segments,
        })
    }

    /// The shell reports whether the device is charging and idle. Leaving that state cancels
    /// the background job in flight at once. Returns whether background work may run.
    pub fn set_device_conditions(&self, charging: bool, idle: bool) -> bool {
        self.queue.set_conditions(charging, idle)
    }

    /// Transcribes again, one by one, every recording not yet transcribed by `model` (the
    /// better one), while the device is charging and idle; keeps the owner's corrections.
    /// Blocks: run it on a background thread when the device starts charging while idle.
    pub fn run_background(
        &self,
        model: SpeechModelKind,
        max: u32,
    ) -> Result<BackgroundReport, ApiError> {
        let model = self.model(model.into())?;
        // A charger's time buys full 30 s windows.
        let options = TranscribeOptions { shrink_audio_ctx: false, ..Default::default() };
        let report = self.session.with(|g| self.queue.run(g, &model, &options, max))?;
        Ok(BackgroundReport {
            done: report.done,
            failed: report.failed,
            interrupted: report.interrupted,
        })
    }

    /// Whether a model is installed in the models directory.
    pub fn has_model(&self, model: SpeechModelKind) -> bool {
        ModelKind::from(model).path_in(&self.models_dir).is_file()
    }
}
