//! Memory videos: a storyboard made from a memory (its photos, or a title card; the
//! transcript as captions; the recording, trimmed, as narration) that the owner can reorder,
//! prune and trim, and that the renderer turns into an MP4. Built so far: the storyboard and
//! the frame renderer (Ken Burns, crossfades); captions, encoding and muxing follow.

mod render;
mod storyboard;

#[cfg(test)]
mod tests;

pub use render::{FrameRenderer, PRESCALE};
pub use storyboard::{
    Caption, KenBurns, Narration, Rect, Resolution, Scene, Storyboard, StoryboardEdit, Visual,
    CROSSFADE_MS, MIN_SCENE_MS,
};

use crate::graph::{GraphError, MemoryGraph, MemoryId};

/// What went wrong with a memory video. Never names content.
#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    /// An edit or a storyboard broke a rule (a photo not in the memory, a span outside the
    /// recording, scenes too short).
    #[error("invalid storyboard: {reason}")]
    InvalidStoryboard { reason: &'static str },
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
