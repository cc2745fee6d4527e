//! The open graph shared by the root object and its sub-objects, closable once for all of them.

use crate::ApiError;
use heirloom_core::graph::MemoryGraph;
use std::sync::RwLock;

/// An open graph, or nothing after `close()`.
#[derive(Debug)]
pub(crate) struct Session {
    graph: RwLock<Option<MemoryGraph>>,
}

impl Session {
    pub(crate) fn new(graph: MemoryGraph) -> Self {
        Self { graph: RwLock::new(Some(graph)) }
    }

    /// Runs `f` on the open graph, converting its error.
    pub(crate) fn with<T, E: Into<ApiError>>(
        &self,
        f: impl FnOnce(&MemoryGraph) -> Result<T, E>,
    ) -> Result<T, ApiError> {
        let guard = self.graph.read().unwrap_or_else(|p| p.into_inner());
        let graph = guard.as_ref().ok_or(ApiError::Closed)?;
        f(graph).map_err(Into::into)
    }

    /// Closes the database; later calls fail with `Closed`.
    pub(crate) fn close(&self) {
        self.graph.write().unwrap_or_else(|p| p.into_inner()).take();
    }
}
