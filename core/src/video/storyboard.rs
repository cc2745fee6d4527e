//! The storyboard: data the shells show and edit, and the renderer follows.

use super::VideoError;
use crate::graph::{GraphError, MediaId, MediaKind, MemoryGraph, MemoryId, RecordingId};
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};

/// Shortest scene: a photo on screen for less than this cannot be taken in.
pub const MIN_SCENE_MS: u32 = 2_000;
/// Overlap of consecutive scenes (a crossfade).
pub const CROSSFADE_MS: u32 = 600;
/// A photo's time on screen when there is no narration to follow.
const SILENT_SCENE_MS: u32 = 5_000;
/// Zoom of the Ken Burns move: the tight crop is this fraction of the wide one.
const ZOOM: f32 = 0.87;
/// The photo's centre stays within the middle of the frame: at most this fraction of the
/// crop's width (or height) from the crop's centre.
const CENTRE_SLACK: f32 = 0.3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    P720,
    P1080,
}

impl Resolution {
    pub fn size(self) -> (u32, u32) {
        match self {
            Resolution::P720 => (1280, 720),
            Resolution::P1080 => (1920, 1080),
        }
    }
}

/// A region of a photo, in fractions of its upright width and height.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl Rect {
    pub fn centre(&self) -> (f32, f32) {
        (self.x + self.w / 2.0, self.y + self.h / 2.0)
    }
}

/// A slow pan and zoom from one crop to another, both of the frame's aspect ratio.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KenBurns {
    pub from: Rect,
    pub to: Rect,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Visual {
    Photo {
        media_id: MediaId,
        motion: KenBurns,
    },
    /// For a memory with no photos: its title on a plain card.
    TitleCard {
        title: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scene {
    pub visual: Visual,
    /// From the start of the video.
    pub start_ms: u32,
    pub duration_ms: u32,
}

/// A transcript segment shown as a caption, timed on the video.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Caption {
    pub segment_id: i64,
    pub start_ms: u32,
    pub end_ms: u32,
    pub text: String,
}

/// The part of a recording that narrates the video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Narration {
    pub recording_id: RecordingId,
    /// Within the recording.
    pub start_ms: u32,
    pub end_ms: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Storyboard {
    pub memory_id: MemoryId,
    pub resolution: Resolution,
    pub scenes: Vec<Scene>,
    pub captions: Vec<Caption>,
    pub narration: Option<Narration>,
    pub duration_ms: u32,
}

/// What the owner changed. Empty fields keep the default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoryboardEdit {
    /// Photos in the order to show them; photos not listed follow in their default order.
    pub photo_order: Vec<MediaId>,
    /// Photos left out.
    pub dropped: Vec<MediaId>,
    /// The narration's span within the recording, in milliseconds.
    pub span_ms: Option<(u32, u32)>,
    pub resolution: Option<Resolution>,
}

fn invalid(reason: &'static str) -> VideoError {
    VideoError::InvalidStoryboard { reason }
}

/// The widest crop of aspect `frame` inside a photo of aspect `photo` (both width / height),
/// centred.
fn full_crop(photo: f32, frame: f32) -> Rect {
    if photo > frame {
        let w = frame / photo;
        Rect { x: (1.0 - w) / 2.0, y: 0.0, w, h: 1.0 }
    } else {
        let h = photo / frame;
        Rect { x: 0.0, y: (1.0 - h) / 2.0, w: 1.0, h }
    }
}

/// The Ken Burns move for scene `index` of a photo of `width` x `height`: a zoom (in on even
/// scenes, out on odd ones, so the video breathes) with a pan along the photo's spare length.
/// Both crops keep the photo's centre — where people put faces — in the middle of the frame.
pub(crate) fn ken_burns(width: u32, height: u32, frame: (u32, u32), index: usize) -> KenBurns {
    let photo = width.max(1) as f32 / height.max(1) as f32;
    let aspect = frame.0 as f32 / frame.1 as f32;
    let wide = full_crop(photo, aspect);
    let tight_w = wide.w * ZOOM;
    let tight_h = wide.h * ZOOM;
    // Pan along the axis with room to spare, no further than keeps the centre in the middle.
    let along_x = wide.w < 1.0 || (wide.w == 1.0 && wide.h == 1.0);
    let direction = if index % 4 < 2 { -1.0 } else { 1.0 };
    let shift = |size: f32, spare: f32| (CENTRE_SLACK * size).min(spare.max(0.0)) * direction;
    let place = |w: f32, h: f32, dx: f32, dy: f32| Rect {
        x: ((1.0 - w) / 2.0 + dx).clamp(0.0, 1.0 - w),
        y: ((1.0 - h) / 2.0 + dy).clamp(0.0, 1.0 - h),
        w,
        h,
    };
    let (dx, dy) = if along_x {
        (shift(tight_w, (1.0 - tight_w) / 2.0), 0.0)
    } else {
        (0.0, shift(tight_h, (1.0 - tight_h) / 2.0))
    };
    let start = place(wide.w, wide.h, 0.0, 0.0);
    let end = place(tight_w, tight_h, dx, dy);
    if index.is_multiple_of(2) {
        KenBurns { from: start, to: end }
    } else {
        KenBurns { from: end, to: start }
    }
}

pub(super) fn build(
    graph: &MemoryGraph,
    memory: MemoryId,
    edit: Option<&StoryboardEdit>,
) -> Result<Storyboard, VideoError> {
    let detail = graph.memory_detail(memory)?;
    let empty = StoryboardEdit::default();
    let edit = edit.unwrap_or(&empty);
    let resolution = edit.resolution.unwrap_or(Resolution::P720);

    // Photos: by when they were taken (undated last), then as added; the owner's order first.
    let mut photos: Vec<_> =
        detail.media.iter().filter(|m| m.kind == MediaKind::Photo).cloned().collect();
    photos.sort_by_key(|m| (m.taken_at_ms.is_none(), m.taken_at_ms, m.id));
    let known = |id: &MediaId| photos.iter().any(|p| p.id == *id);
    if !edit.photo_order.iter().chain(&edit.dropped).all(known) {
        return Err(invalid("a photo that is not in this memory"));
    }
    let mut ordered: Vec<MediaId> = Vec::new();
    for id in edit.photo_order.iter().copied().chain(photos.iter().map(|p| p.id)) {
        if !ordered.contains(&id) && !edit.dropped.contains(&id) {
            ordered.push(id);
        }
    }

    // Narration: the first recording, whole or the chosen span.
    let narration = match detail.recordings.first() {
        Some(rec) => {
            let length = u32::try_from(rec.duration_ms).unwrap_or(u32::MAX);
            let (start, end) = edit.span_ms.unwrap_or((0, length));
            if start >= end || end > length {
                return Err(invalid("the narration span is outside the recording"));
            }
            Some(Narration { recording_id: rec.id, start_ms: start, end_ms: end })
        }
        None if edit.span_ms.is_some() => return Err(invalid("the memory has no recording")),
        None => None,
    };

    let scene_count = ordered.len().max(1) as u32;
    let duration_ms = match narration {
        Some(n) => n.end_ms - n.start_ms,
        None => scene_count * SILENT_SCENE_MS,
    };
    if duration_ms / scene_count < MIN_SCENE_MS {
        return Err(invalid("too many photos for the narration: scenes would be under 2 s"));
    }
    let frame = resolution.size();
    let mut scenes = Vec::new();
    let per_scene = duration_ms / scene_count;
    if ordered.is_empty() {
        scenes.push(Scene {
            visual: Visual::TitleCard { title: detail.memory.title.clone() },
            start_ms: 0,
            duration_ms,
        });
    }
    for (i, id) in ordered.iter().enumerate() {
        let info = graph.photo(*id)?;
        let start_ms = i as u32 * per_scene;
        // The last scene runs to the end; the others overlap the next by the crossfade.
        let duration = if i + 1 == ordered.len() {
            duration_ms - start_ms
        } else {
            per_scene + CROSSFADE_MS.min(per_scene / 2)
        };
        scenes.push(Scene {
            visual: Visual::Photo {
                media_id: *id,
                motion: ken_burns(info.width, info.height, frame, i),
            },
            start_ms,
            duration_ms: duration,
        });
    }

    // Captions: the narrated span's segments, clipped to it and timed on the video; without
    // narration, the segments share the video's length evenly.
    let segments: Vec<_> = match narration {
        Some(n) => {
            detail.segments.iter().filter(|s| s.recording_id == Some(n.recording_id)).collect()
        }
        None => detail.segments.iter().collect(),
    };
    let mut captions = Vec::new();
    match narration {
        Some(n) => {
            for s in segments {
                let (a, b) = (s.start_ms.max(0) as u32, s.end_ms.max(0) as u32);
                if b <= n.start_ms || a >= n.end_ms || s.text().trim().is_empty() {
                    continue;
                }
                captions.push(Caption {
                    segment_id: s.id,
                    start_ms: a.max(n.start_ms) - n.start_ms,
                    end_ms: b.min(n.end_ms) - n.start_ms,
                    text: s.text().trim().to_owned(),
                });
            }
        }
        None => {
            let shown: Vec<_> = segments.iter().filter(|s| !s.text().trim().is_empty()).collect();
            let each = duration_ms / shown.len().max(1) as u32;
            for (i, s) in shown.iter().enumerate() {
                captions.push(Caption {
                    segment_id: s.id,
                    start_ms: i as u32 * each,
                    end_ms: (i as u32 + 1) * each,
                    text: s.text().trim().to_owned(),
                });
            }
        }
    }
    Ok(Storyboard { memory_id: memory, resolution, scenes, captions, narration, duration_ms })
}

pub(super) fn load_edit(
    graph: &MemoryGraph,
    memory: MemoryId,
) -> Result<Option<StoryboardEdit>, VideoError> {
    let text: Option<String> = graph.database().read(|tx| {
        Ok::<_, GraphError>(
            tx.query_row("SELECT edit FROM storyboard_edit WHERE memory_id = ?1", [memory], |r| {
                r.get(0)
            })
            .optional()?,
        )
    })?;
    // An edit that no longer parses (written by a newer build) is ignored, not fatal.
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

pub(super) fn save_edit(
    graph: &MemoryGraph,
    memory: MemoryId,
    edit: &StoryboardEdit,
) -> Result<(), VideoError> {
    let text = serde_json::to_string(edit).map_err(|_| invalid("the edit cannot be stored"))?;
    graph.database().write(|tx| {
        tx.execute(
            "INSERT INTO storyboard_edit (memory_id, edit, updated_at_ms) VALUES (?1, ?2, ?3) \
             ON CONFLICT (memory_id) DO UPDATE SET edit = excluded.edit, updated_at_ms = excluded.updated_at_ms",
            rusqlite::params![memory, text, crate::clock::now_ms()],
        )?;
        Ok::<_, GraphError>(())
    })?;
    Ok(())
}
