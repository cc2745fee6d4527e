//! The open graph shared by the root object and its sub-objects, closable once for all of them.

use crate::ApiError;
use heirloom_core::graph::{MemoryGraph, SharedGraph};
use std::sync::Arc;

/// An open graph, or nothing after `close()` (or after the kiosk closed a resident's vault).
#[derive(Debug)]
pub(crate) struct Session {
    graph: Arc<SharedGraph>,
}

impl Session {
    pub(crate) fn new(graph: MemoryGraph) -> Self {
        Self { graph: Arc::new(SharedGraph::new(graph)) }
    }

    /// A session over a graph someone else may close (a kiosk resident's vault).
    pub(crate) fn shared(graph: Arc<SharedGraph>) -> Self {
        Self { graph }
    }

    /// Runs `f` on the open graph, converting its error.
    pub(crate) fn with<T, E: Into<ApiError>>(
        &self,
        f: impl FnOnce(&MemoryGraph) -> Result<T, E>,
    ) -> Result<T, ApiError> {
        match self.graph.with(f) {
            Some(result) => result.map_err(Into::into),
            None => Err(ApiError::Closed),
        }
    }

    /// Closes the database; later calls fail with `Closed`.
    pub(crate) fn close(&self) {
        self.graph.close();
    }
}
