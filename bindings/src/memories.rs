//! Memories sub-object.

use crate::session::Session;
use crate::ApiError;
use heirloom_core::graph::{
    AboutWhen, DeletedMemory, FactStatus, Media, Memory, MemoryDetail, MemoryUpdate, NewMedia,
    NewMemory, NewSegment, Recording, Segment,
};
use std::sync::Arc;

/// A change to a memory; unset fields stay as they are.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct MemoryChanges {
    #[uniffi(default = None)]
    pub title: Option<String>,
    /// A new date; ignored when `clear_about_when` is true.
    #[uniffi(default = None)]
    pub about_when: Option<AboutWhen>,
    #[uniffi(default = false)]
    pub clear_about_when: bool,
    #[uniffi(default = None)]
    pub about_status: Option<FactStatus>,
}

impl From<MemoryChanges> for MemoryUpdate {
    fn from(c: MemoryChanges) -> Self {
        let about_when = if c.clear_about_when { Some(None) } else { c.about_when.map(Some) };
        MemoryUpdate { title: c.title, about_when, about_status: c.about_status }
    }
}

/// Memories, their segments, recordings and media.
#[derive(Debug, uniffi::Object)]
pub struct Memories {
    session: Arc<Session>,
}

impl Memories {
    pub(crate) fn new(session: Arc<Session>) -> Self {
        Self { session }
    }
}

#[uniffi::export]
impl Memories {
    /// Creates a memory with no segments yet.
    pub fn create(&self, memory: NewMemory) -> Result<Memory, ApiError> {
        self.session.with(|g| g.create_memory(&memory))
    }

    /// Creates a typed memory, one segment per non-blank line.
    pub fn add_text(
        &self,
        title: String,
        text: String,
        about_when: Option<AboutWhen>,
    ) -> Result<MemoryDetail, ApiError> {
        self.session.with(|g| g.add_text_memory(&title, &text, about_when))
    }

    /// One memory.
    pub fn get(&self, id: i64) -> Result<Memory, ApiError> {
        self.session.with(|g| g.memory(id))
    }

    /// A memory with its segments, recordings, media and mentions.
    pub fn detail(&self, id: i64) -> Result<MemoryDetail, ApiError> {
        self.session.with(|g| g.memory_detail(id))
    }

    /// Memories, most recently told first.
    pub fn list(&self, offset: u32, limit: u32) -> Result<Vec<Memory>, ApiError> {
        self.session.with(|g| g.list_memories(offset, limit))
    }

    /// Changes a memory's title or date.
    pub fn update(&self, id: i64, changes: MemoryChanges) -> Result<Memory, ApiError> {
        self.session.with(|g| g.update_memory(id, &changes.into()))
    }

    /// Deletes a memory and everything only it held up, files included.
    pub fn delete(&self, id: i64) -> Result<DeletedMemory, ApiError> {
        self.session.with(|g| g.delete_memory(id))
    }

    /// Appends transcript segments (all or none).
    pub fn add_segments(
        &self,
        memory_id: i64,
        recording_id: Option<i64>,
        segments: Vec<NewSegment>,
    ) -> Result<Vec<Segment>, ApiError> {
        self.session.with(|g| g.add_segments(memory_id, recording_id, &segments))
    }

    /// A memory's segments in order.
    pub fn segments(&self, memory_id: i64) -> Result<Vec<Segment>, ApiError> {
        self.session.with(|g| g.segments(memory_id))
    }

    /// Sets (or with null, clears) the owner's correction of a segment.
    pub fn edit_segment(
        &self,
        segment_id: i64,
        user_text: Option<String>,
    ) -> Result<Segment, ApiError> {
        self.session.with(|g| g.edit_segment(segment_id, user_text.as_deref()))
    }

    /// Records the audio file (relative to the data directory) behind a memory.
    pub fn add_recording(
        &self,
        memory_id: i64,
        audio_path: String,
        duration_ms: i64,
        sample_rate: u32,
    ) -> Result<Recording, ApiError> {
        self.session.with(|g| g.add_recording(memory_id, &audio_path, duration_ms, sample_rate))
    }

    /// Attaches a photo or video to a memory.
    pub fn attach_media(&self, memory_id: i64, media: NewMedia) -> Result<Media, ApiError> {
        self.session.with(|g| g.attach_media(memory_id, &media))
    }
}
