//! The background re-transcription queue: recordings are transcribed live with tiny.en, then
//! again with the better model while the device is charging and idle. The better transcript
//! replaces the machine text and keeps the owner's corrections ([`MemoryGraph::store_transcript`]);
//! facts follow their words. When the device stops charging or the owner picks it up, the job
//! in flight is cancelled at once and its recording keeps its old transcript, to be redone the
//! next time.

use super::model::RecordingId;
use super::{GraphError, MemoryGraph};
use crate::speech::{CancelToken, SpeechError, SpeechModel, TranscribeOptions};
use std::sync::{Arc, Mutex};

/// What a run of the queue did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueReport {
    /// Recordings transcribed again with the better model.
    pub done: Vec<RecordingId>,
    /// Recordings that failed (damaged audio); they stay as they were and are skipped.
    pub failed: Vec<RecordingId>,
    /// Whether the run stopped because the device stopped charging or stopped being idle.
    pub interrupted: bool,
}

#[derive(Debug, Default)]
struct Conditions {
    charging: bool,
    idle: bool,
    running: Option<CancelToken>,
}

/// Runs re-transcription only while the shell reports the device charging and idle.
#[derive(Debug, Default, Clone)]
pub struct RetranscriptionQueue {
    conditions: Arc<Mutex<Conditions>>,
}

impl RetranscriptionQueue {
    pub fn new() -> Self {
        Self::default()
    }

    /// The shell reports the device's state; leaving "charging and idle" cancels the job in
    /// flight. Returns whether work may run now.
    pub fn set_conditions(&self, charging: bool, idle: bool) -> bool {
        let mut c = self.conditions.lock().unwrap_or_else(|p| p.into_inner());
        c.charging = charging;
        c.idle = idle;
        let allowed = charging && idle;
        if !allowed {
            if let Some(job) = &c.running {
                job.cancel();
            }
        }
        allowed
    }

    fn start_job(&self) -> Option<CancelToken> {
        let mut c = self.conditions.lock().unwrap_or_else(|p| p.into_inner());
        if !(c.charging && c.idle) {
            return None;
        }
        let token = CancelToken::new();
        c.running = Some(token.clone());
        Some(token)
    }

    fn end_job(&self) {
        self.conditions.lock().unwrap_or_else(|p| p.into_inner()).running = None;
    }

    /// Transcribes, one at a time, every recording not yet transcribed by `model`, while the
    /// conditions allow. Blocks; call it on a background thread when the device starts
    /// charging while idle. `max` bounds one run.
    pub fn run(
        &self,
        graph: &MemoryGraph,
        model: &Arc<SpeechModel>,
        options: &TranscribeOptions,
        max: u32,
    ) -> Result<QueueReport, GraphError> {
        let mut report = QueueReport::default();
        while (report.done.len() + report.failed.len()) < max as usize {
            let pending = graph.recordings_to_transcribe(model.name(), max)?;
            let Some(next) = pending.iter().find(|r| !report.failed.contains(&r.id)) else {
                break;
            };
            let Some(token) = self.start_job() else {
                report.interrupted = true;
                break;
            };
            let result = graph.transcribe_recording(next.id, model, options, None, &token);
            self.end_job();
            match result {
                Ok(_) => report.done.push(next.id),
                Err(GraphError::Speech(SpeechError::Cancelled)) => {
                    report.interrupted = true;
                    break;
                }
                Err(GraphError::Capture(_) | GraphError::Speech(SpeechError::Audio(_))) => {
                    report.failed.push(next.id)
                }
                Err(e) => return Err(e),
            }
        }
        Ok(report)
    }
}
