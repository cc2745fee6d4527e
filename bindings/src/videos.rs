//! Videos sub-object: a memory's video storyboard, to show and edit, and the render to MP4 —
//! with the core's software encoders, or the platform's hardware encoders plugged in through
//! [`PlatformVideoEncoder`] / [`PlatformAudioEncoder`].

use crate::session::Session;
use crate::speech::CancelHandle;
use crate::ApiError;
use heirloom_core::video::{self, Resolution, Storyboard, StoryboardEdit, VideoError, Visual};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

impl From<VideoError> for ApiError {
    fn from(e: VideoError) -> Self {
        match e {
            VideoError::Graph(g) => g.into(),
            VideoError::InvalidStoryboard { reason } => {
                Self::InvalidInput { reason: format!("invalid storyboard: {reason}") }
            }
            VideoError::Cancelled => Self::Cancelled,
            e @ VideoError::Font { .. } => Self::ModelUnavailable { reason: e.to_string() },
            e @ VideoError::Io { .. } => Self::Storage { reason: e.to_string() },
            e @ VideoError::Encode { .. } => Self::Internal { reason: e.to_string() },
        }
    }
}

/// A crop of a photo, in fractions of its upright width and height.
#[derive(Debug, Clone, Copy, uniffi::Record)]
pub struct CropRect {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl From<video::Rect> for CropRect {
    fn from(r: video::Rect) -> Self {
        Self { x: r.x, y: r.y, w: r.w, h: r.h }
    }
}

/// One scene: a photo with its pan and zoom, or the title card.
#[derive(Debug, Clone, uniffi::Record)]
pub struct StoryScene {
    /// The photo shown, or `None` for the title card.
    pub media_id: Option<i64>,
    /// The title card's text.
    pub title: Option<String>,
    pub start_ms: u32,
    pub duration_ms: u32,
    /// Ken Burns move (photos only; the whole frame for a title card).
    pub crop_from: CropRect,
    pub crop_to: CropRect,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct StoryCaption {
    pub segment_id: i64,
    pub start_ms: u32,
    pub end_ms: u32,
    pub text: String,
}

/// What a memory video will show, for the shells to display and edit.
#[derive(Debug, Clone, uniffi::Record)]
pub struct StoryboardView {
    pub memory_id: i64,
    pub width: u32,
    pub height: u32,
    pub duration_ms: u32,
    pub scenes: Vec<StoryScene>,
    pub captions: Vec<StoryCaption>,
    /// The narrating recording and its span, if the memory has a recording.
    pub narration_recording_id: Option<i64>,
    pub narration_start_ms: Option<u32>,
    pub narration_end_ms: Option<u32>,
}

impl From<Storyboard> for StoryboardView {
    fn from(b: Storyboard) -> Self {
        let (width, height) = b.resolution.size();
        let whole = CropRect { x: 0.0, y: 0.0, w: 1.0, h: 1.0 };
        Self {
            memory_id: b.memory_id,
            width,
            height,
            duration_ms: b.duration_ms,
            scenes: b
                .scenes
                .into_iter()
                .map(|s| match s.visual {
                    Visual::Photo { media_id, motion } => StoryScene {
                        media_id: Some(media_id),
                        title: None,
                        start_ms: s.start_ms,
                        duration_ms: s.duration_ms,
                        crop_from: motion.from.into(),
                        crop_to: motion.to.into(),
                    },
                    Visual::TitleCard { title } => StoryScene {
                        media_id: None,
                        title: Some(title),
                        start_ms: s.start_ms,
                        duration_ms: s.duration_ms,
                        crop_from: whole,
                        crop_to: whole,
                    },
                })
                .collect(),
            captions: b
                .captions
                .into_iter()
                .map(|c| StoryCaption {
                    segment_id: c.segment_id,
                    start_ms: c.start_ms,
                    end_ms: c.end_ms,
                    text: c.text,
                })
                .collect(),
            narration_recording_id: b.narration.map(|n| n.recording_id),
            narration_start_ms: b.narration.map(|n| n.start_ms),
            narration_end_ms: b.narration.map(|n| n.end_ms),
        }
    }
}

/// The owner's changes to a storyboard; empty fields keep what is there.
#[derive(Debug, Clone, uniffi::Record)]
pub struct StoryboardChanges {
    /// Photos to show first, in this order.
    pub photo_order: Vec<i64>,
    pub dropped: Vec<i64>,
    /// Both or neither: the narration span within the recording.
    pub span_start_ms: Option<u32>,
    pub span_end_ms: Option<u32>,
    /// 1080p instead of 720p.
    pub full_hd: Option<bool>,
}

#[derive(Debug, uniffi::Object)]
pub struct Videos {
    session: Arc<Session>,
    /// Where the caption fonts are (`fonts/` under the models directory), once set.
    models_dir: Mutex<Option<PathBuf>>,
}

impl Videos {
    pub(crate) fn new(session: Arc<Session>) -> Self {
        Self { session, models_dir: Mutex::new(None) }
    }
}

/// One encoded picture from a platform encoder.
#[derive(Debug, Clone, uniffi::Record)]
pub struct EncodedPicture {
    /// The input frame it codes (frames come back in input order).
    pub index: u64,
    /// H.264 Annex B (start codes), SPS and PPS in the first keyframe.
    pub annex_b: Vec<u8>,
    pub keyframe: bool,
}

/// A hardware H.264 encoder (VideoToolbox, MediaCodec). Frames arrive as I420 (the Y plane,
/// then U, then V; BT.601 limited range: signal that in the VUI); no B-frames (turn frame
/// reordering off). Called on the rendering thread.
#[uniffi::export(with_foreign)]
pub trait PlatformVideoEncoder: Send + Sync {
    fn start(
        &self,
        width: u32,
        height: u32,
        fps: u32,
        bitrate: u32,
        keyframe_interval: u32,
    ) -> Result<(), ApiError>;
    /// Encodes frame `index`; returns the pictures ready now (possibly none, or earlier ones).
    fn encode(&self, i420: Vec<u8>, index: u64) -> Result<Vec<EncodedPicture>, ApiError>;
    /// The pictures still inside.
    fn finish(&self) -> Result<Vec<EncodedPicture>, ApiError>;
}

/// How a platform audio encoder codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AudioCoding {
    Opus,
    /// AAC-LC in ADTS frames.
    AacAdts,
}

/// A hardware audio encoder (AudioToolbox, MediaCodec): 48 kHz mono 16-bit PCM in.
#[uniffi::export(with_foreign)]
pub trait PlatformAudioEncoder: Send + Sync {
    fn coding(&self) -> AudioCoding;
    /// Samples per packet (1024 for AAC).
    fn frame_samples(&self) -> u32;
    /// The decoder delay (priming) in samples; the narration is shifted so it plays on time.
    fn delay_samples(&self) -> u32;
    /// Exactly `frame_samples()` samples; returns the packets ready, one frame each.
    fn encode(&self, pcm: Vec<i16>) -> Result<Vec<Vec<u8>>, ApiError>;
    fn finish(&self) -> Result<Vec<Vec<u8>>, ApiError>;
}

/// Hears a render's progress, on the rendering thread.
#[uniffi::export(with_foreign)]
pub trait RenderListener: Send + Sync {
    fn on_progress(&self, frames_done: u64, frames_total: u64);
}

/// A finished render.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RenderedVideo {
    /// The video, stored encrypted with the memory (when kept), else null.
    pub media_id: Option<i64>,
    pub width: u32,
    pub height: u32,
    pub frames: u64,
    pub duration_ms: u32,
    pub bytes: u64,
}

impl From<(Option<i64>, video::RenderReport)> for RenderedVideo {
    fn from((media_id, r): (Option<i64>, video::RenderReport)) -> Self {
        Self {
            media_id,
            width: r.width,
            height: r.height,
            frames: r.frames,
            duration_ms: r.duration_ms,
            bytes: r.bytes,
        }
    }
}

fn host(e: ApiError) -> VideoError {
    VideoError::Encode { stage: "use the platform encoder", detail: e.to_string() }
}

struct HostVideo(Arc<dyn PlatformVideoEncoder>);

impl video::VideoEncoder for HostVideo {
    fn start(&mut self, s: &video::VideoSettings) -> Result<(), VideoError> {
        self.0.start(s.width, s.height, s.fps, s.bitrate, s.keyframe_interval).map_err(host)
    }

    fn encode(
        &mut self,
        frame: &video::I420,
        index: u64,
    ) -> Result<Vec<video::EncodedFrame>, VideoError> {
        let pictures = self.0.encode(frame.as_bytes().to_vec(), index).map_err(host)?;
        Ok(pictures.into_iter().map(into_frame).collect())
    }

    fn finish(&mut self) -> Result<Vec<video::EncodedFrame>, VideoError> {
        Ok(self.0.finish().map_err(host)?.into_iter().map(into_frame).collect())
    }
}

fn into_frame(p: EncodedPicture) -> video::EncodedFrame {
    video::EncodedFrame { index: p.index, data: p.annex_b, keyframe: p.keyframe }
}

struct HostAudio(Arc<dyn PlatformAudioEncoder>);

impl video::AudioEncoder for HostAudio {
    fn format(&self) -> video::AudioFormat {
        match self.0.coding() {
            AudioCoding::Opus => video::AudioFormat::Opus,
            AudioCoding::AacAdts => video::AudioFormat::AacAdts,
        }
    }

    fn frame_samples(&self) -> u32 {
        self.0.frame_samples()
    }

    fn delay_samples(&self) -> u32 {
        self.0.delay_samples()
    }

    fn encode(&mut self, pcm: &[i16]) -> Result<Vec<Vec<u8>>, VideoError> {
        self.0.encode(pcm.to_vec()).map_err(host)
    }

    fn finish(&mut self) -> Result<Vec<Vec<u8>>, VideoError> {
        self.0.finish().map_err(host)
    }
}

/// Where a render goes and how.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct RenderRequest {
    /// Also (or, when `keep` is false, only) write the MP4 here, unencrypted, to share.
    pub output_path: Option<String>,
    /// Keep the video with the memory, encrypted.
    pub keep: bool,
}

impl Videos {
    fn fonts(&self) -> Result<Option<video::Fonts>, ApiError> {
        let dir = self.models_dir.lock().unwrap_or_else(|p| p.into_inner()).clone();
        dir.map(|d| video::Fonts::load(&d)).transpose().map_err(ApiError::from)
    }
}

#[uniffi::export]
impl Videos {
    /// The memory's storyboard, with the owner's saved changes.
    pub fn storyboard(&self, memory_id: i64) -> Result<StoryboardView, ApiError> {
        self.session
            .with(|g| video::storyboard(g, memory_id).map_err(ApiError::from))
            .map(Into::into)
    }

    /// Applies and keeps the owner's changes; a bad change is `InvalidInput` and nothing is
    /// kept.
    pub fn edit_storyboard(
        &self,
        memory_id: i64,
        changes: StoryboardChanges,
    ) -> Result<StoryboardView, ApiError> {
        let span_ms = match (changes.span_start_ms, changes.span_end_ms) {
            (Some(a), Some(b)) => Some((a, b)),
            (None, None) => None,
            _ => {
                return Err(ApiError::InvalidInput {
                    reason: "a narration span needs both its start and its end".into(),
                })
            }
        };
        let edit = StoryboardEdit {
            photo_order: changes.photo_order,
            dropped: changes.dropped,
            span_ms,
            resolution: changes
                .full_hd
                .map(|hd| if hd { Resolution::P1080 } else { Resolution::P720 }),
        };
        self.session
            .with(|g| video::edit_storyboard(g, memory_id, &edit).map_err(ApiError::from))
            .map(Into::into)
    }

    /// Where the caption fonts are: the models directory (`fonts/` in it, what
    /// `models/fetch.sh fonts` fills; the apps bundle the same files). Without it, videos
    /// have no captions or titles.
    pub fn use_fonts(&self, models_dir: String) -> Result<(), ApiError> {
        let dir = PathBuf::from(models_dir);
        video::Fonts::load(&dir)?;
        *self.models_dir.lock().unwrap_or_else(|p| p.into_inner()) = Some(dir);
        Ok(())
    }

    /// Renders the memory's video (its saved storyboard) to an MP4: kept with the memory
    /// (encrypted) and/or written to `request.output_path`. Uses the platform's encoders when
    /// given, else the core's software ones (H.264 + Opus). Blocks: call it off the main
    /// thread. A cancelled or failed render leaves no file and no media.
    pub fn render(
        &self,
        memory_id: i64,
        request: RenderRequest,
        video_encoder: Option<Arc<dyn PlatformVideoEncoder>>,
        audio_encoder: Option<Arc<dyn PlatformAudioEncoder>>,
        listener: Option<Arc<dyn RenderListener>>,
        cancel: Arc<CancelHandle>,
    ) -> Result<RenderedVideo, ApiError> {
        if request.output_path.is_none() && !request.keep {
            return Err(ApiError::InvalidInput {
                reason: "a render needs somewhere to go: keep it or give a path".into(),
            });
        }
        let fonts = self.fonts()?;
        let mut progress = |p: video::RenderProgress| {
            if let Some(l) = &listener {
                l.on_progress(p.frames_done, p.frames_total);
            }
        };
        let mut v: Box<dyn video::VideoEncoder> = match video_encoder {
            Some(e) => Box::new(HostVideo(e)),
            None => Box::new(video::OpenH264Encoder::new()),
        };
        let mut a: Box<dyn video::AudioEncoder> = match audio_encoder {
            Some(e) => Box::new(HostAudio(e)),
            None => Box::new(video::OpusEncoder::new()?),
        };
        self.session.with(|g| {
            let encoders = video::Encoders { video: v.as_mut(), audio: a.as_mut() };
            let rendered = if request.keep {
                let (media, report) = video::render_memory_video(
                    g,
                    memory_id,
                    fonts.clone(),
                    encoders,
                    &mut progress,
                    cancel.token(),
                )?;
                if let Some(path) = &request.output_path {
                    video::export_video(g, media.id, std::path::Path::new(path))?;
                }
                RenderedVideo::from((Some(media.id), report))
            } else {
                let board = video::storyboard(g, memory_id)?;
                let path = request.output_path.as_deref().unwrap_or_default();
                let report = video::render_to_file(
                    g,
                    &board,
                    fonts.clone(),
                    encoders,
                    std::path::Path::new(path),
                    &mut progress,
                    cancel.token(),
                )?;
                RenderedVideo::from((None, report))
            };
            Ok::<_, ApiError>(rendered)
        })
    }
}
