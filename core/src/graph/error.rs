//! Errors of the memory graph. Reasons are fixed phrases: never the user's words.

use crate::store::StoreError;

/// A graph operation failed.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// No live row of that kind has that id.
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: i64 },
    /// The input broke a rule (empty title, span outside its segment, …).
    #[error("invalid input: {reason}")]
    InvalidInput { reason: String },
    /// The change conflicts with the graph's state (merging a merged entity, undoing twice…).
    #[error("conflict: {reason}")]
    Conflict { reason: &'static str },
    /// Recording, reading or importing audio failed.
    #[error(transparent)]
    Capture(#[from] crate::capture::CaptureError),
    /// Speech recognition failed or was cancelled.
    #[error(transparent)]
    Speech(#[from] crate::speech::SpeechError),
    /// The embedding model failed (a fixed phrase and shapes, never text).
    #[error("embedding failed: {reason}")]
    Embedding { reason: String },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A photo could not be read, or a stored media file could not be opened.
    #[error(transparent)]
    Media(#[from] crate::media::MediaError),
}

impl GraphError {
    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        Self::InvalidInput { reason: reason.into() }
    }
}

impl From<rusqlite::Error> for GraphError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(e.into())
    }
}
