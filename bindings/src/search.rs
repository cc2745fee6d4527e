//! Search sub-object.

use crate::session::Session;
use crate::ApiError;
use heirloom_core::graph::SearchHit;
use std::sync::Arc;

/// Full-text search over transcripts.
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
}
