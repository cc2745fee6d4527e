//! Life sub-object: the timeline and coverage counts.

use crate::session::Session;
use crate::ApiError;
use heirloom_core::graph::{Coverage, Page, Timeline};
use std::sync::Arc;

/// The shape of a life: timeline and coverage.
#[derive(Debug, uniffi::Object)]
pub struct Life {
    session: Arc<Session>,
}

impl Life {
    pub(crate) fn new(session: Arc<Session>) -> Self {
        Self { session }
    }
}

#[uniffi::export]
impl Life {
    /// Dated memories in order of when they happened, undated ones apart (one page of each).
    pub fn timeline(&self, offset: u32, limit: u32) -> Result<Timeline, ApiError> {
        self.session.with(|g| g.timeline(Page { offset, limit }))
    }

    /// Counts of memories, facts and entities.
    pub fn coverage(&self) -> Result<Coverage, ApiError> {
        self.session.with(|g| g.coverage())
    }
}
