//! From storyboard to MP4: frames drawn one at a time, converted to BT.601 YUV and streamed to
//! the H.264 encoder; the narration streamed from the encrypted recording at 48 kHz to the audio
//! encoder; both muxed into a faststart MP4 (`moov` before `mdat`, so it plays while it
//! downloads) by `muxide`. The container carries no title, date or place.
//!
//! Audio sync: a decoder outputs the encoder's delay before the first real sample. An MP4 can
//! tell players to drop the first `pre_skip` samples (Opus's `dOps` box: 312, what libopus's
//! lookahead is); whatever else the delay is, the narration is shifted by here, so that sample
//! `k` of the narration plays at `k / 48000` s. Measured in the tests from the decoded file.
//!
//! Memory: one RGB frame, one YUV frame, at most two pre-scaled photos and the encoded stream
//! (muxide keeps the coded samples until it writes the file: about 0.4 MB a second at 720p).

use super::codec::{AudioEncoder, AudioFormat, VideoEncoder, VideoSettings, AUDIO_RATE};
use super::render::FrameRenderer;
use super::storyboard::Storyboard;
use super::yuv::I420;
use super::VideoError;
use crate::graph::MemoryGraph;
use crate::speech::CancelToken;
use muxide::api::{AudioCodec, MuxerBuilder, VideoCodec};
use std::io::Write;

/// Frames per second of every memory video.
pub const FPS: u32 = 30;
/// The pre-skip muxide writes for Opus (fixed), in 48 kHz samples.
const OPUS_PRE_SKIP: u32 = 312;

/// How far a render has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderProgress {
    pub frames_done: u64,
    pub frames_total: u64,
}

/// What was made.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderReport {
    pub width: u32,
    pub height: u32,
    pub frames: u64,
    pub duration_ms: u32,
    pub audio_packets: u64,
    /// Bytes of the MP4.
    pub bytes: u64,
}

/// The encoders a render uses: the software ones by default, or a shell's.
pub struct Encoders<'a> {
    pub video: &'a mut dyn VideoEncoder,
    pub audio: &'a mut dyn AudioEncoder,
}

impl std::fmt::Debug for Encoders<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Encoders")
    }
}

/// The video bitrate for a frame size: slow pans over photos need more than talking heads.
fn bitrate(width: u32, height: u32) -> u32 {
    // About 3.3 bits per 100 pixels a frame: 3 Mb/s at 720p30, 6.8 Mb/s at 1080p30.
    (u64::from(width) * u64::from(height) * u64::from(FPS) / 9) as u32
}

/// Counts bytes on their way to `W`.
struct Counting<W: Write> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(data)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn mux_error(e: muxide::api::MuxerError) -> VideoError {
    VideoError::Encode { stage: "write the MP4", detail: e.to_string() }
}

/// The narration as the audio encoder's input: 48 kHz i16, shifted for the codec's delay,
/// padded with silence to the video's length and past it far enough to flush the encoder.
struct Narration {
    stream: Option<crate::capture::SpeechStream>,
    /// Samples of the recording still to hand out.
    remaining: u64,
    /// Silence to give first (negative shift), then after the recording.
    lead_in: u64,
    total: u64,
    given: u64,
    buf: Vec<f32>,
}

impl Narration {
    fn next(&mut self, out: &mut Vec<i16>, n: usize) -> Result<(), VideoError> {
        out.clear();
        while out.len() < n && self.given < self.total {
            if self.lead_in > 0 {
                let k = (n - out.len()).min(self.lead_in as usize);
                out.resize(out.len() + k, 0);
                self.lead_in -= k as u64;
                self.given += k as u64;
                continue;
            }
            let want = (n - out.len()).min(self.remaining as usize);
            let mut got = 0;
            if want > 0 {
                if let Some(stream) = &mut self.stream {
                    self.buf.clear();
                    got = stream.read(&mut self.buf, want).map_err(audio_error)?;
                    out.extend(
                        self.buf.iter().map(|s| (s.clamp(-1.0, 1.0) * 32767.0).round() as i16),
                    );
                    self.remaining -= got as u64;
                }
            }
            if got == 0 {
                // The recording ended (or was used up): silence for the rest.
                self.remaining = 0;
                let k = n - out.len();
                out.resize(n, 0);
                self.given += k as u64;
            } else {
                self.given += got as u64;
            }
        }
        out.resize(n, 0);
        Ok(())
    }
}

fn audio_error(e: crate::capture::CaptureError) -> VideoError {
    VideoError::Graph(crate::graph::GraphError::from(e))
}

/// Skips `n` samples of `stream`.
fn skip(stream: &mut crate::capture::SpeechStream, mut n: u64) -> Result<(), VideoError> {
    let mut buf = Vec::new();
    while n > 0 {
        buf.clear();
        let got = stream.read(&mut buf, n.min(1 << 16) as usize).map_err(audio_error)?;
        if got == 0 {
            break;
        }
        n -= got as u64;
    }
    Ok(())
}

fn write_video<W: Write>(
    muxer: &mut muxide::api::Muxer<Counting<W>>,
    frames: Vec<super::codec::EncodedFrame>,
) -> Result<(), VideoError> {
    for f in frames {
        let pts = f.index as f64 / f64::from(FPS);
        muxer.write_video(pts, &f.data, f.keyframe).map_err(mux_error)?;
    }
    Ok(())
}

/// Renders `board` into an MP4 written to `out`. `progress` hears about every frame; `cancel`
/// stops the render between frames with [`VideoError::Cancelled`] (what was written to `out`
/// is then incomplete: write to a scratch file).
pub fn render_mp4<W: Write + Send>(
    graph: &MemoryGraph,
    board: &Storyboard,
    fonts: Option<super::text::Fonts>,
    encoders: Encoders<'_>,
    out: W,
    progress: &mut dyn FnMut(RenderProgress),
    cancel: &CancelToken,
) -> Result<(RenderReport, W), VideoError> {
    let Encoders { video, audio } = encoders;
    let mut renderer = FrameRenderer::new(graph, board.clone());
    if let Some(fonts) = fonts {
        renderer = renderer.with_fonts(fonts);
    }
    let (width, height) = renderer.size();
    let frames_total = (u64::from(board.duration_ms) * u64::from(FPS)).div_ceil(1000).max(1);
    video.start(&VideoSettings {
        width,
        height,
        fps: FPS,
        bitrate: bitrate(width, height),
        keyframe_interval: 2 * FPS,
    })?;

    let mut builder = MuxerBuilder::new(Counting { inner: out, bytes: 0 })
        .video(VideoCodec::H264, width, height, f64::from(FPS))
        .with_fast_start(true);
    let mut narration = None;
    if let Some(n) = &board.narration {
        let (codec, pre_skip) = match audio.format() {
            AudioFormat::Opus => (AudioCodec::Opus, OPUS_PRE_SKIP),
            // Without an edit list, nothing tells players to drop AAC's priming.
            AudioFormat::AacAdts => (AudioCodec::Aac(muxide::api::AacProfile::Lc), 0),
        };
        builder = builder.audio(codec, AUDIO_RATE, 1);
        let mut stream = graph.recording_stream(n.recording_id, AUDIO_RATE)?;
        let per_ms = u64::from(AUDIO_RATE / 1000);
        let shift = i64::from(audio.delay_samples()) - i64::from(pre_skip);
        let start = u64::from(n.start_ms) * per_ms;
        let content = u64::from(board.duration_ms) * per_ms;
        skip(&mut stream, start + shift.max(0) as u64)?;
        let frame = u64::from(audio.frame_samples().max(1));
        // Enough packets that, after the pre-skip, the decoded audio covers the whole video.
        let packets = (content + u64::from(pre_skip)).div_ceil(frame);
        narration = Some(Narration {
            stream: Some(stream),
            remaining: (u64::from(n.end_ms.saturating_sub(n.start_ms)) * per_ms)
                .saturating_sub(shift.max(0) as u64),
            lead_in: (-shift).max(0) as u64,
            total: packets * frame,
            given: 0,
            buf: Vec::new(),
        });
    }
    let mut muxer = builder.build().map_err(mux_error)?;
    let frame_samples = u64::from(audio.frame_samples().max(1));

    // Two stages on two threads: this one draws frames and converts them to YUV; the encoder
    // thread codes them (and the narration) and muxes. A bounded queue keeps memory flat.
    let (tx, rx) = std::sync::mpsc::sync_channel::<(u64, I420)>(2);
    let (muxer, audio_packets) = std::thread::scope(|scope| {
        let coder = scope.spawn(move || -> Result<_, VideoError> {
            let mut pcm = Vec::new();
            let mut audio_packets = 0u64;
            let mut audio_sent_samples = 0u64;
            let mut video_written = 0u64;
            let mut send_audio = |muxer: &mut muxide::api::Muxer<Counting<W>>,
                                  pcm: &[i16],
                                  audio: &mut dyn super::codec::AudioEncoder|
             -> Result<(), VideoError> {
                for packet in audio.encode(pcm)? {
                    let pts = (audio_packets * frame_samples) as f64 / f64::from(AUDIO_RATE);
                    muxer.write_audio(pts, &packet).map_err(mux_error)?;
                    audio_packets += 1;
                }
                Ok(())
            };
            for (index, frame) in rx {
                let coded = video.encode(&frame, index)?;
                video_written += coded.len() as u64;
                write_video(&mut muxer, coded)?;
                // Audio up to the end of this frame, once the first picture is in (muxide
                // wants video first).
                if let Some(narration) = &mut narration {
                    let until = (index + 1) * u64::from(AUDIO_RATE) / u64::from(FPS);
                    while video_written > 0
                        && audio_sent_samples < until
                        && narration.given < narration.total
                    {
                        narration.next(&mut pcm, frame_samples as usize)?;
                        send_audio(&mut muxer, &pcm, audio)?;
                        audio_sent_samples += frame_samples;
                    }
                }
            }
            write_video(&mut muxer, video.finish()?)?;
            if let Some(narration) = &mut narration {
                while narration.given < narration.total {
                    if cancel.is_cancelled() {
                        return Err(VideoError::Cancelled);
                    }
                    narration.next(&mut pcm, frame_samples as usize)?;
                    send_audio(&mut muxer, &pcm, audio)?;
                }
                for packet in audio.finish()? {
                    let pts = (audio_packets * frame_samples) as f64 / f64::from(AUDIO_RATE);
                    muxer.write_audio(pts, &packet).map_err(mux_error)?;
                    audio_packets += 1;
                }
            }
            Ok((muxer, audio_packets))
        });
        let drawn = (|| -> Result<(), VideoError> {
            for index in 0..frames_total {
                if cancel.is_cancelled() {
                    return Err(VideoError::Cancelled);
                }
                let t_ms = (index * 1000 / u64::from(FPS)) as u32;
                let picture = renderer.frame(t_ms)?;
                let mut yuv = I420::new(width, height);
                yuv.fill_from_rgb(&picture);
                if tx.send((index, yuv)).is_err() {
                    return Ok(()); // the encoder stopped: its error says why
                }
                progress(RenderProgress { frames_done: index + 1, frames_total });
            }
            Ok(())
        })();
        drop(tx);
        let coded = coder.join().map_err(|_| VideoError::Encode {
            stage: "encode",
            detail: "the encoder thread failed".into(),
        })?;
        drawn?;
        coded
    })?;
    let mut muxer = muxer;
    muxer.finish_in_place().map_err(mux_error)?;
    let counting = muxer.into_writer();
    let report = RenderReport {
        width,
        height,
        frames: frames_total,
        duration_ms: board.duration_ms,
        audio_packets,
        bytes: counting.bytes,
    };
    Ok((report, counting.inner))
}
