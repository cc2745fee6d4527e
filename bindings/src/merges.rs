//! Merges sub-object: propose, accept, reject and undo entity merges.

use crate::session::Session;
use crate::ApiError;
use heirloom_core::graph::{MergeProposal, MergeState};
use std::sync::Arc;

/// Entity merge proposals.
#[derive(Debug, uniffi::Object)]
pub struct Merges {
    session: Arc<Session>,
}

impl Merges {
    pub(crate) fn new(session: Arc<Session>) -> Self {
        Self { session }
    }
}

#[uniffi::export]
impl Merges {
    /// Proposes folding `merge_id` into `keep_id`.
    pub fn propose(
        &self,
        keep_id: i64,
        merge_id: i64,
        score: f64,
    ) -> Result<MergeProposal, ApiError> {
        self.session.with(|g| g.propose_merge(keep_id, merge_id, score))
    }

    /// Proposals in a state (all when null), newest first.
    pub fn list(&self, state: Option<MergeState>) -> Result<Vec<MergeProposal>, ApiError> {
        self.session.with(|g| g.merge_proposals(state))
    }

    /// Accepts a proposal.
    pub fn accept(&self, id: i64) -> Result<MergeProposal, ApiError> {
        self.session.with(|g| g.accept_merge(id))
    }

    /// Rejects a proposal.
    pub fn reject(&self, id: i64) -> Result<MergeProposal, ApiError> {
        self.session.with(|g| g.reject_merge(id))
    }

    /// Undoes an accepted merge.
    pub fn undo(&self, id: i64) -> Result<MergeProposal, ApiError> {
        self.session.with(|g| g.undo_merge(id))
    }
}
