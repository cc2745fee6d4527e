//! Videos sub-object: a memory's video storyboard, to show and edit (rendering follows).

use crate::session::Session;
use crate::ApiError;
use heirloom_core::video::{self, Resolution, Storyboard, StoryboardEdit, VideoError, Visual};
use std::sync::Arc;

impl From<VideoError> for ApiError {
    fn from(e: VideoError) -> Self {
        match e {
            VideoError::Graph(g) => g.into(),
            VideoError::InvalidStoryboard { reason } => {
                Self::InvalidInput { reason: format!("invalid storyboard: {reason}") }
            }
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
}

impl Videos {
    pub(crate) fn new(session: Arc<Session>) -> Self {
        Self { session }
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
}
