//! Memory videos: a storyboard made from a memory (its photos, or a title card; the
//! transcript as captions; the recording, trimmed, as narration) that the owner can reorder,
//! prune and trim, and that the renderer turns into an MP4: frames (Ken Burns, crossfades,
//! captions) encoded as H.264, the narration as Opus, muxed into a faststart MP4 and stored
//! encrypted with the memory.

mod codec;
mod output;
mod render;
mod storyboard;
mod text;
mod yuv;

#[cfg(test)]
mod render_tests;
#[cfg(test)]
mod tests;

pub use codec::{
    AudioEncoder, AudioFormat, EncodedFrame, OpenH264Encoder, OpusEncoder, VideoEncoder,
    VideoSettings, AUDIO_RATE,
};
pub use output::{render_mp4, Encoders, RenderProgress, RenderReport, FPS};
pub use render::{FrameRenderer, PRESCALE};
pub use storyboard::{
    Caption, KenBurns, Narration, Rect, Resolution, Scene, Storyboard, StoryboardEdit, Visual,
    CROSSFADE_MS, MIN_SCENE_MS,
};
pub use text::{Fonts, Placement, TextBlock, FONT_DIR};
pub use yuv::I420;

use crate::graph::{GraphError, Media, MediaKind, MemoryGraph, MemoryId};
use crate::speech::CancelToken;

/// What went wrong with a memory video. Never names content.
#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    /// An edit or a storyboard broke a rule (a photo not in the memory, a span outside the
    /// recording, scenes too short).
    #[error("invalid storyboard: {reason}")]
    InvalidStoryboard { reason: &'static str },
    /// An encoder or the muxer failed. `detail` comes from the codec library, never content.
    #[error("could not {stage}: {detail}")]
    Encode { stage: &'static str, detail: String },
    /// The caption fonts are missing or damaged.
    #[error("fonts: {reason}")]
    Font { reason: &'static str, kind: Option<std::io::ErrorKind> },
    #[error("could not {op}: {kind}")]
    Io { op: &'static str, kind: std::io::ErrorKind },
    /// The render was cancelled; nothing was kept.
    #[error("the render was cancelled")]
    Cancelled,
    #[error(transparent)]
    Graph(#[from] GraphError),
}

/// The storyboard of `memory`, with the owner's saved edit applied if there is one.
pub fn storyboard(graph: &MemoryGraph, memory: MemoryId) -> Result<Storyboard, VideoError> {
    let edit = storyboard::load_edit(graph, memory)?;
    storyboard::build(graph, memory, edit.as_ref())
}

/// Applies and saves the owner's edit (order, dropped photos, narration span, size), returning
/// the new storyboard. A bad edit is refused and the saved one kept.
pub fn edit_storyboard(
    graph: &MemoryGraph,
    memory: MemoryId,
    edit: &StoryboardEdit,
) -> Result<Storyboard, VideoError> {
    let board = storyboard::build(graph, memory, Some(edit))?;
    storyboard::save_edit(graph, memory, edit)?;
    Ok(board)
}

/// Renders the memory's storyboard with the given encoders and stores the MP4 encrypted with
/// the memory (a video attached to it). A cancelled or failed render leaves nothing behind.
pub fn render_memory_video(
    graph: &MemoryGraph,
    memory: MemoryId,
    fonts: Option<Fonts>,
    encoders: Encoders<'_>,
    progress: &mut dyn FnMut(RenderProgress),
    cancel: &CancelToken,
) -> Result<(Media, RenderReport), VideoError> {
    let board = storyboard(graph, memory)?;
    let file = graph.new_media_file("mp4")?;
    let (report, file) = render_mp4(graph, &board, fonts, encoders, file, progress, cancel)?;
    let media = graph.attach_media_file(memory, file, MediaKind::Video)?;
    Ok((media, report))
}

/// Renders `board` to an MP4 file at `dest` (written beside it and renamed when complete: a
/// cancelled or failed render leaves no file).
pub fn render_to_file(
    graph: &MemoryGraph,
    board: &Storyboard,
    fonts: Option<Fonts>,
    encoders: Encoders<'_>,
    dest: &std::path::Path,
    progress: &mut dyn FnMut(RenderProgress),
    cancel: &CancelToken,
) -> Result<RenderReport, VideoError> {
    write_atomically(dest, |out| {
        render_mp4(graph, board, fonts, encoders, out, progress, cancel).map(|(report, _)| report)
    })
}

/// Writes a stored video (decrypted) to `dest`, beside it first and renamed when complete.
pub fn export_video(
    graph: &MemoryGraph,
    media: crate::graph::MediaId,
    dest: &std::path::Path,
) -> Result<u64, VideoError> {
    let mut reader = graph.open_media(media)?;
    write_atomically(dest, |out| {
        std::io::copy(&mut reader, out)
            .map_err(|e| VideoError::Io { op: "write the video", kind: e.kind() })
    })
}

/// Writes `dest` through `write` into a scratch file beside it, synced and renamed into place
/// when complete: a failed or cancelled write leaves no file.
fn write_atomically<T>(
    dest: &std::path::Path,
    write: impl FnOnce(&mut std::io::BufWriter<&std::fs::File>) -> Result<T, VideoError>,
) -> Result<T, VideoError> {
    let io = |op| move |e: std::io::Error| VideoError::Io { op, kind: e.kind() };
    let dir =
        dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let scratch = tempfile::NamedTempFile::new_in(dir).map_err(io("create the video file"))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, scratch.as_file());
    let value = write(&mut out)?;
    out.into_inner()
        .map_err(|e| VideoError::Io { op: "write the video", kind: e.error().kind() })?;
    scratch.as_file().sync_all().map_err(io("write the video"))?;
    scratch
        .persist(dest)
        .map_err(|e| VideoError::Io { op: "save the video", kind: e.error.kind() })?;
    Ok(value)
}
