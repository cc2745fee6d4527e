//! Facts sub-object: what extraction read from the stories, proposals to confirm or reject, and
//! the owner's profile.

use crate::session::Session;
use crate::ApiError;
use heirloom_core::graph::{ExtractionReport, FactView, OwnerProfile};
use std::sync::Arc;

/// Facts read from transcripts, each with its words and confidence.
#[derive(Debug, uniffi::Object)]
pub struct Facts {
    session: Arc<Session>,
}

impl Facts {
    pub(crate) fn new(session: Arc<Session>) -> Self {
        Self { session }
    }
}

#[uniffi::export]
impl Facts {
    /// A memory's facts in reading order.
    pub fn for_memory(&self, memory_id: i64) -> Result<Vec<FactView>, ApiError> {
        self.session.with(|g| g.memory_facts(memory_id))
    }

    /// Low-confidence facts awaiting the owner.
    pub fn proposals(&self, limit: u32) -> Result<Vec<FactView>, ApiError> {
        self.session.with(|g| g.fact_proposals(limit))
    }

    /// The owner confirms a fact.
    pub fn confirm(&self, mention_id: i64) -> Result<FactView, ApiError> {
        self.session.with(|g| g.confirm_fact(mention_id))
    }

    /// The owner rejects a fact; reading the memory again will not bring it back.
    pub fn reject(&self, mention_id: i64) -> Result<(), ApiError> {
        self.session.with(|g| g.reject_fact(mention_id))
    }

    /// Reads a memory again now (`None` when no extractor is loaded).
    pub fn extract(&self, memory_id: i64) -> Result<Option<ExtractionReport>, ApiError> {
        self.session.with(|g| g.extract_memory(memory_id))
    }

    /// The owner's profile.
    pub fn profile(&self) -> Result<OwnerProfile, ApiError> {
        self.session.with(|g| g.profile())
    }

    /// Replaces the profile; a new birth year re-reads every memory.
    pub fn set_profile(&self, profile: OwnerProfile) -> Result<OwnerProfile, ApiError> {
        self.session.with(|g| g.set_profile(&profile))
    }
}
