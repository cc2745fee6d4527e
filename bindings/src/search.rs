//! Search sub-object.

use crate::session::Session;
use crate::ApiError;
use heirloom_core::graph::{RelatedMemory, SearchCapabilities, SearchHit};
use std::sync::Arc;

/// Search over transcripts: full text, by meaning, and related memories.
#[derive(Debug, uniffi::Object)]
pub struct Search {
    session: Arc<Session>,
}

impl Search {
    pub(crate) fn new(session: Arc<Session>) -> Self {
        Self { session }
    }
}

#[uniffi::export]
impl Search {
    /// Segments matching every word of `query`, best first.
    pub fn segments(&self, query: String, limit: u32) -> Result<Vec<SearchHit>, ApiError> {
        self.session.with(|g| g.search(&query, limit))
    }

    /// Search by words and by meaning (full text alone without the embedding model).
    pub fn hybrid(&self, query: String, limit: u32) -> Result<Vec<SearchHit>, ApiError> {
        self.session.with(|g| g.hybrid_search(&query, limit))
    }

    /// Memories closest to `memory_id`.
    pub fn related(&self, memory_id: i64, limit: u32) -> Result<Vec<RelatedMemory>, ApiError> {
        self.session.with(|g| g.related(memory_id, limit))
    }

    /// Whether search by meaning is available (the embedding model is loaded).
    pub fn capabilities(&self) -> Result<SearchCapabilities, ApiError> {
        self.session.with(|g| Ok::<_, ApiError>(g.search_capabilities()))
    }
}
