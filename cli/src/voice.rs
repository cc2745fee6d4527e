//! Voice: recording from a WAV file through a live session, transcription with a progress bar.

use crate::args::SpeechArgs;
use crate::output::{CliError, Output};
use heirloom_core::graph::{Memory, MemoryGraph, Recording, Segment};
use heirloom_core::speech::{
    CancelToken, ModelKind, SpeechListener, SpeechModel, TranscribeOptions, Transcript,
    TranscriptSegment,
};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Loads the model the arguments name.
pub fn load_model(args: &SpeechArgs) -> Result<Arc<SpeechModel>, CliError> {
    let kind = ModelKind::from_name(&args.model)
        .ok_or_else(|| CliError::Usage("--model must be tiny.en or base".to_owned()))?;
    let dir = args.models_dir.clone().unwrap_or_else(ModelKind::default_dir);
    let model = SpeechModel::load_kind(kind, &dir)
        .map_err(|e| CliError::Graph(heirloom_core::graph::GraphError::Speech(e)))?;
    Ok(Arc::new(model))
}

/// A progress bar on standard error.
struct Bar {
    last: Mutex<i64>,
}

impl SpeechListener for Bar {
    fn progress(&self, done_ms: u64, total_ms: Option<u64>) {
        let Some(total) = total_ms.filter(|t| *t > 0) else { return };
        let pct = (done_ms.min(total) * 100 / total) as i64;
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if pct == *last {
            return;
        }
        *last = pct;
        let filled = (pct / 4) as usize;
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\rtranscribing [{}{}] {pct:>3}%  {} / {}",
            "#".repeat(filled),
            "-".repeat(25 - filled),
            clock(done_ms.min(total)),
            clock(total)
        );
        if pct == 100 {
            let _ = writeln!(err);
        }
        let _ = err.flush();
    }
}

/// Transcribes one recording into the graph.
pub fn transcribe(
    graph: &MemoryGraph,
    recording: i64,
    model: &Arc<SpeechModel>,
    args: &SpeechArgs,
    out: &Output,
) -> Result<(TranscriptJson, Vec<Segment>), CliError> {
    let options = TranscribeOptions {
        language: args.language.clone(),
        threads: args.threads,
        ..Default::default()
    };
    let show = args.progress || (!out.is_json() && std::io::stderr().is_terminal());
    let listener: Option<Arc<dyn SpeechListener>> =
        show.then(|| Arc::new(Bar { last: Mutex::new(-1) }) as Arc<dyn SpeechListener>);
    let (t, segments) =
        graph.transcribe_recording(recording, model, &options, listener, &CancelToken::new())?;
    Ok((TranscriptJson::from(&t), segments))
}

/// A transcript as printed in JSON.
#[derive(Debug, serde::Serialize)]
pub struct TranscriptJson {
    pub model: String,
    pub language: String,
    pub audio_ms: u64,
    pub speech_ms: u64,
    pub segments: Vec<SegmentJson>,
}

#[derive(Debug, serde::Serialize)]
pub struct SegmentJson {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
    pub confidence: f32,
}

impl From<&TranscriptSegment> for SegmentJson {
    fn from(s: &TranscriptSegment) -> Self {
        SegmentJson {
            start_ms: s.start_ms,
            end_ms: s.end_ms,
            text: s.text.clone(),
            confidence: s.confidence,
        }
    }
}

impl From<&Transcript> for TranscriptJson {
    fn from(t: &Transcript) -> Self {
        TranscriptJson {
            model: t.model.clone(),
            language: t.language.clone(),
            audio_ms: t.audio_ms,
            speech_ms: t.speech_ms,
            segments: t.segments.iter().map(SegmentJson::from).collect(),
        }
    }
}

fn clock(ms: u64) -> String {
    let s = ms / 1000;
    format!("{:02}:{:02}.{}", s / 60, s % 60, (ms % 1000) / 100)
}

/// The transcript for people: one line per segment with its time span.
pub fn render_segments(segments: &[Segment]) -> String {
    if segments.is_empty() {
        return "(no speech found)".to_owned();
    }
    segments
        .iter()
        .map(|s| {
            let edited = if s.user_text.is_some() { " (corrected)" } else { "" };
            format!(
                "[{} → {}] {}{edited}",
                clock(s.start_ms.max(0) as u64),
                clock(s.end_ms.max(0) as u64),
                s.text()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Streams a WAV file through a live recording session in 100 ms frames, as the apps push
/// microphone audio, and saves it as a voice memory.
pub fn record_from_wav(
    graph: &MemoryGraph,
    wav: &Path,
    title: &str,
) -> Result<(Memory, Recording), CliError> {
    let bad = |_| CliError::Input("cannot read the WAV file (not a PCM WAV, or cut short)".into());
    let mut reader = hound::WavReader::open(wav).map_err(bad)?;
    let spec = reader.spec();
    if spec.sample_format != hound::SampleFormat::Int || spec.bits_per_sample != 16 {
        return Err(CliError::Input("record --wav takes 16-bit PCM WAV files".into()));
    }
    let mut writer = Some(graph.start_recording(spec.sample_rate, spec.channels)?);
    let frame = (spec.sample_rate as usize / 10) * usize::from(spec.channels);
    let mut buf = Vec::with_capacity(frame);
    for sample in reader.samples::<i16>() {
        buf.push(sample.map_err(bad)?);
        if buf.len() == frame {
            if let Some(w) = writer.as_mut() {
                w.push_i16(&buf).map_err(heirloom_core::graph::GraphError::from)?;
            }
            buf.clear();
        }
    }
    if !buf.is_empty() {
        if let Some(w) = writer.as_mut() {
            w.push_i16(&buf).map_err(heirloom_core::graph::GraphError::from)?;
        }
    }
    Ok(graph.save_recording(&mut writer, title)?)
}
