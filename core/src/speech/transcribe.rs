//! One transcription job: audio in, timed segments out.

use super::model::SpeechModel;
use super::threads::choose_threads;
use super::vad::{quietest_point, speech_regions, VadConfig};
use super::SpeechError;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Weak};
use std::time::Duration;
use whisper_rs::{FullParams, SamplingStrategy};

/// Samples per second of the audio whisper takes.
pub(crate) const RATE: usize = 16_000;
/// Audio examined at once by the voice-activity stage.
const WINDOW: usize = 32 * RATE;
/// Longest chunk handed to whisper (its window is 30 s; a little room for padding).
const MAX_CHUNK: usize = 28 * RATE;
/// A long unbroken stretch of speech is cut at its quietest point after this much.
const MIN_CUT: usize = 18 * RATE;
/// whisper.cpp's full audio context (30 s of encoder frames).
const FULL_AUDIO_CTX: usize = 1500;

/// Where 16 kHz mono f32 audio comes from.
pub trait AudioSource {
    /// Appends up to `max` samples to `out`; returns how many (0 at the end).
    fn read(&mut self, out: &mut Vec<f32>, max: usize) -> Result<usize, SpeechError>;
    /// Total samples, when known (for progress).
    fn total_samples(&self) -> Option<u64>;
}

/// Audio already in memory.
#[derive(Debug)]
pub struct SliceSource<'a> {
    samples: &'a [f32],
    pos: usize,
}

impl<'a> SliceSource<'a> {
    pub fn new(samples: &'a [f32]) -> Self {
        SliceSource { samples, pos: 0 }
    }
}

impl AudioSource for SliceSource<'_> {
    fn read(&mut self, out: &mut Vec<f32>, max: usize) -> Result<usize, SpeechError> {
        let n = max.min(self.samples.len() - self.pos);
        out.extend_from_slice(&self.samples[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }

    fn total_samples(&self) -> Option<u64> {
        Some(self.samples.len() as u64)
    }
}

/// Receives a job's progress. Called on the transcribing thread.
pub trait SpeechListener: Send + Sync {
    /// `done_ms` of `total_ms` (when known) of the audio has been transcribed.
    fn progress(&self, done_ms: u64, total_ms: Option<u64>) {
        let _ = (done_ms, total_ms);
    }
    /// A segment is ready (segments arrive in time order).
    fn segment(&self, segment: &TranscriptSegment) {
        let _ = segment;
    }
}

/// Stops a job from another thread; it ends with [`SpeechError::Cancelled`] within a fraction
/// of a second.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// How to transcribe.
#[derive(Debug, Clone)]
pub struct TranscribeOptions {
    /// ISO 639-1 code; `None`: English for English-only models, detected for multilingual ones.
    pub language: Option<String>,
    /// Names (people, places) to bias recognition toward, most important first.
    pub vocabulary: Vec<String>,
    /// Threads; `None` chooses from the free cores.
    pub threads: Option<usize>,
    /// Skip silence with the voice-activity stage (on by default; whisper invents words on
    /// silence).
    pub skip_silence: bool,
    /// Encode only as much audio context as a chunk needs instead of a full 30 s window: 2–3×
    /// less CPU on interview answers at the same accuracy (measured in docs/SPEECH.md). On by
    /// default; the background queue may turn it off to spend a charger's time on full windows.
    pub shrink_audio_ctx: bool,
    pub vad: VadConfig,
}

impl Default for TranscribeOptions {
    fn default() -> Self {
        TranscribeOptions {
            language: None,
            vocabulary: Vec::new(),
            threads: None,
            skip_silence: true,
            shrink_audio_ctx: true,
            vad: VadConfig::default(),
        }
    }
}

/// A timed piece of a transcript.
#[derive(Debug, Clone, PartialEq)]
pub struct TranscriptSegment {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
    /// Geometric mean of the text tokens' probabilities, 0..=1.
    pub confidence: f32,
}

/// A finished transcription.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    /// The model's name (`tiny.en`, `base`).
    pub model: String,
    /// The language transcribed (given or detected).
    pub language: String,
    pub segments: Vec<TranscriptSegment>,
    /// Length of the audio.
    pub audio_ms: u64,
    /// Audio the recogniser actually ran on (speech found by the voice-activity stage).
    pub speech_ms: u64,
}

impl Transcript {
    /// The segments' text joined by spaces.
    pub fn text(&self) -> String {
        let parts: Vec<&str> = self.segments.iter().map(|s| s.text.as_str()).collect();
        parts.join(" ")
    }
}

fn ms(samples: u64) -> u64 {
    samples * 1000 / RATE as u64
}

/// The initial prompt carrying the vocabulary: whisper continues in the prompt's style and
/// spelling, so names it has seen there come out spelled that way.
fn vocabulary_prompt(words: &[String]) -> Option<String> {
    let mut prompt = String::new();
    for word in words {
        let clean: String = word.chars().filter(|c| !c.is_control()).collect();
        let clean = clean.trim();
        if clean.is_empty() {
            continue;
        }
        // whisper keeps at most half its 448-token context for the prompt; stay well inside.
        if prompt.len() + clean.len() > 600 {
            break;
        }
        if !prompt.is_empty() {
            prompt.push_str(", ");
        }
        prompt.push_str(clean);
    }
    (!prompt.is_empty()).then(|| format!("{prompt}."))
}

/// One piece of a chunk: `len` samples at `chunk_start` in the chunk came from `src_start`.
#[derive(Debug, Clone, Copy)]
struct Piece {
    chunk_start: usize,
    src_start: u64,
    len: usize,
}

/// Maps a time in the chunk (whisper's centiseconds) to a sample on the source's time line.
fn to_source(pieces: &[Piece], centis: i64) -> u64 {
    let at = (centis.max(0) as usize) * (RATE / 100);
    let piece = pieces.iter().rev().find(|p| p.chunk_start <= at).unwrap_or(&pieces[0]);
    piece.src_start + (at - piece.chunk_start.min(at)).min(piece.len) as u64
}

/// What to decode next from the analysis buffer: the pieces (buffer ranges) of one chunk, and
/// how much of the buffer is done with.
fn plan_chunk(buf: &[f32], regions: &[Range<usize>], eof: bool) -> (Vec<Range<usize>>, usize) {
    let len = buf.len();
    if regions.is_empty() {
        // Nothing said; keep the last second, where a word may be starting.
        return (Vec::new(), if eof { len } else { len.saturating_sub(RATE) });
    }
    let mut pieces: Vec<Range<usize>> = Vec::new();
    let mut total = 0;
    for r in regions {
        let open = !eof && r.end >= len;
        let cut_long = |r: &Range<usize>| {
            let cut = quietest_point(buf, r.start + MIN_CUT..r.start + MAX_CHUNK);
            r.start..cut.clamp(r.start + RATE, r.start + MAX_CHUNK)
        };
        if open {
            if pieces.is_empty() {
                if r.len() > MAX_CHUNK {
                    pieces.push(cut_long(r));
                } else {
                    // Speech running past the buffer: move up to it and read more.
                    return (Vec::new(), r.start);
                }
            }
            break;
        }
        if total + r.len() <= MAX_CHUNK {
            total += r.len();
            pieces.push(r.clone());
        } else {
            if pieces.is_empty() {
                pieces.push(cut_long(r));
            }
            break;
        }
    }
    let consumed = pieces.last().map_or(len, |p| p.end);
    let all_taken = pieces.last().map(|p| p.end) == regions.last().map(|r| r.end);
    (pieces, if eof && all_taken { len } else { consumed })
}

/// A decoded segment, as the worker hands it back.
struct RawSegment {
    t0: i64,
    t1: i64,
    text: String,
    logprob_sum: f64,
    tokens: u32,
    no_speech: f32,
}

struct Decoded {
    segments: Vec<RawSegment>,
    lang_id: i32,
    /// The chunk buffer, handed back for reuse.
    audio: Vec<f32>,
}

/// What the worker sends back: a decoded chunk, or `Err` when whisper failed or was aborted.
type Results = mpsc::Receiver<Result<Decoded, ()>>;

struct ChunkJob {
    audio: Vec<f32>,
    language: &'static str,
    audio_ctx: Option<i32>,
}

/// Runs whisper on its own thread, so a cancelled job returns at once even while whisper.cpp is
/// inside an encoder pass (which it does not interrupt); the pass ends on that thread, which
/// then sees the cancel flag and exits.
fn spawn_worker(
    model: Arc<SpeechModel>,
    params: FullParams<'static, 'static>,
) -> Result<(mpsc::SyncSender<ChunkJob>, Results), SpeechError> {
    let mut state =
        model.ctx.create_state().map_err(|_| SpeechError::Engine { stage: "create state" })?;
    let (job_tx, job_rx) = mpsc::sync_channel::<ChunkJob>(1);
    let (out_tx, out_rx) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("heirloom-speech".into())
        .spawn(move || {
            let eot = model.ctx.token_eot();
            for job in job_rx {
                let mut p = params.clone();
                p.set_language(Some(job.language));
                if let Some(ctx) = job.audio_ctx {
                    p.set_audio_ctx(ctx);
                }
                let result = state.full(p, &job.audio).map_err(|_| ()).map(|()| {
                    let segments =
                        state.as_iter().filter_map(|seg| raw_segment(&seg, eot)).collect();
                    Decoded { segments, lang_id: state.full_lang_id_from_state(), audio: job.audio }
                });
                if out_tx.send(result).is_err() {
                    break;
                }
            }
        })
        .map_err(|_| SpeechError::Engine { stage: "start worker" })?;
    Ok((job_tx, out_rx))
}

fn raw_segment(seg: &whisper_rs::WhisperSegment<'_>, eot: i32) -> Option<RawSegment> {
    let text = seg.to_str_lossy().ok()?.trim().to_owned();
    let (mut logprob_sum, mut tokens) = (0.0f64, 0u32);
    for i in 0..seg.n_tokens() {
        let Some(token) = seg.get_token(i) else { continue };
        let data = token.token_data();
        if data.id < eot {
            logprob_sum += f64::from(data.plog);
            tokens += 1;
        }
    }
    Some(RawSegment {
        t0: seg.start_timestamp(),
        t1: seg.end_timestamp(),
        text,
        logprob_sum,
        tokens,
        no_speech: seg.no_speech_probability(),
    })
}

/// Waits for the worker, returning at once (within 50 ms) when the job is cancelled.
fn wait_for(rx: &Results, cancel: &CancelToken) -> Result<Decoded, SpeechError> {
    loop {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(Ok(decoded)) => return Ok(decoded),
            Ok(Err(())) if cancel.is_cancelled() => return Err(SpeechError::Cancelled),
            Ok(Err(())) => return Err(SpeechError::Engine { stage: "decode" }),
            Err(mpsc::RecvTimeoutError::Timeout) if cancel.is_cancelled() => {
                return Err(SpeechError::Cancelled)
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(SpeechError::Engine { stage: "worker" })
            }
        }
    }
}

/// Transcribes `source` with `model`. Segments are in time order with times on the source's
/// time line; silence gives no segments at all.
pub fn transcribe(
    model: &Arc<SpeechModel>,
    source: &mut dyn AudioSource,
    options: &TranscribeOptions,
    listener: Option<Arc<dyn SpeechListener>>,
    cancel: &CancelToken,
) -> Result<Transcript, SpeechError> {
    // Language codes as whisper.cpp's own static strings (the parameters borrow them).
    let mut language: Option<&'static str> = match &options.language {
        Some(code) => {
            let code = code.trim().to_ascii_lowercase();
            let known = whisper_rs::get_lang_id(&code).and_then(whisper_rs::get_lang_str);
            match known {
                Some(lang) if model.is_multilingual() || lang == "en" => Some(lang),
                _ => return Err(SpeechError::Language { code }),
            }
        }
        None if model.is_multilingual() => None,
        None => Some("en"),
    };
    let threads = options.threads.unwrap_or_else(choose_threads);
    if threads == 0 || threads > 64 {
        return Err(SpeechError::InvalidOptions { reason: "threads must be 1..=64" });
    }
    let prompt = vocabulary_prompt(&options.vocabulary);

    let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
    params.set_n_threads(threads as i32);
    params.set_translate(false);
    params.set_no_context(true);
    params.set_print_special(false);
    params.set_print_progress(false);
    params.set_print_realtime(false);
    params.set_print_timestamps(false);
    params.set_suppress_blank(true);
    params.set_suppress_nst(true);
    if let Some(p) = &prompt {
        params.set_initial_prompt(p);
    }
    // whisper-rs keeps this closure for the process's life; it holds only a weak pointer.
    let flag: Weak<AtomicBool> = Arc::downgrade(&cancel.0);
    let abort: Box<dyn FnMut() -> bool> =
        Box::new(move || flag.upgrade().is_some_and(|f| f.load(Ordering::Relaxed)));
    params.set_abort_callback_safe(abort);
    let (jobs, results) = spawn_worker(model.clone(), params)?;

    let total = source.total_samples();
    let total_ms = total.map(ms);
    let mut segments: Vec<TranscriptSegment> = Vec::new();
    let mut buf: Vec<f32> = Vec::with_capacity(WINDOW);
    let mut buf_start: u64 = 0;
    let mut eof = false;
    let mut speech_samples: u64 = 0;
    let mut spare: Vec<f32> = Vec::with_capacity(MAX_CHUNK);
    let report = |done: u64| {
        if let Some(l) = &listener {
            l.progress(ms(done), total_ms);
        }
    };
    report(0);
    loop {
        if cancel.is_cancelled() {
            return Err(SpeechError::Cancelled);
        }
        while !eof && buf.len() < WINDOW {
            let want = WINDOW - buf.len();
            if source.read(&mut buf, want)? == 0 {
                eof = true;
            }
        }
        if buf.is_empty() {
            break;
        }
        let regions = if options.skip_silence {
            speech_regions(&buf, &options.vad)
        } else {
            std::iter::once(0..buf.len()).collect()
        };
        let (ranges, consumed) = plan_chunk(&buf, &regions, eof);
        if !ranges.is_empty() {
            let mut chunk = std::mem::take(&mut spare);
            chunk.clear();
            let mut pieces = Vec::with_capacity(ranges.len());
            for r in &ranges {
                pieces.push(Piece {
                    chunk_start: chunk.len(),
                    src_start: buf_start + r.start as u64,
                    len: r.len(),
                });
                chunk.extend_from_slice(&buf[r.clone()]);
            }
            speech_samples += chunk.len() as u64;
            // 50 encoder frames per second, and a margin so the last word is not squeezed.
            let audio_ctx = (options.shrink_audio_ctx && chunk.len() < 30 * RATE)
                .then(|| ((chunk.len() * 50).div_ceil(RATE) + 64).min(FULL_AUDIO_CTX) as i32);
            let job = ChunkJob { audio: chunk, language: language.unwrap_or("auto"), audio_ctx };
            jobs.send(job).map_err(|_| SpeechError::Engine { stage: "worker" })?;
            let decoded = wait_for(&results, cancel)?;
            if cancel.is_cancelled() {
                return Err(SpeechError::Cancelled);
            }
            if language.is_none() {
                language = Some(whisper_rs::get_lang_str(decoded.lang_id).unwrap_or("en"));
            }
            let chunk_end = pieces.last().map_or(0, |p| p.src_start + p.len as u64);
            for raw in &decoded.segments {
                let Some(s) = finish_segment(raw, &pieces, chunk_end) else { continue };
                if let Some(l) = &listener {
                    l.segment(&s);
                }
                segments.push(s);
            }
            spare = decoded.audio;
        }
        buf.drain(..consumed.min(buf.len()));
        buf_start += consumed as u64;
        report(buf_start);
        if eof && buf.is_empty() {
            break;
        }
    }
    // The total may have been an estimate (a recording's framing): end at exactly 100 %.
    if let Some(l) = &listener {
        if total_ms != Some(ms(buf_start)) {
            l.progress(ms(buf_start), Some(ms(buf_start)));
        }
    }
    Ok(Transcript {
        model: model.name().to_owned(),
        language: language.unwrap_or("en").to_owned(),
        segments,
        audio_ms: ms(buf_start),
        speech_ms: ms(speech_samples),
    })
}

/// A decoded segment as ours, or `None` when it carries no words or is a likely hallucination
/// (whisper's own rule: probably no speech and a low average log-probability).
fn finish_segment(raw: &RawSegment, pieces: &[Piece], chunk_end: u64) -> Option<TranscriptSegment> {
    if raw.tokens == 0 || !raw.text.chars().any(char::is_alphanumeric) {
        return None;
    }
    let avg_logprob = raw.logprob_sum / f64::from(raw.tokens);
    if raw.no_speech > 0.6 && avg_logprob < -1.0 {
        return None;
    }
    let start = to_source(pieces, raw.t0);
    let end = to_source(pieces, raw.t1).clamp(start, chunk_end.max(start));
    Some(TranscriptSegment {
        start_ms: ms(start),
        end_ms: ms(end),
        text: raw.text.clone(),
        confidence: avg_logprob.exp().clamp(0.0, 1.0) as f32,
    })
}
