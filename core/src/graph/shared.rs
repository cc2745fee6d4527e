//! A memory graph that several handles share and that can be closed once for all of them: the
//! app's root object and its sub-objects, or a kiosk resident's vault that must shut the moment
//! staff switch resident or the tablet locks.

use super::MemoryGraph;
use std::sync::RwLock;

/// An open graph, or nothing after [`SharedGraph::close`].
#[derive(Debug)]
pub struct SharedGraph {
    graph: RwLock<Option<MemoryGraph>>,
}

impl SharedGraph {
    pub fn new(graph: MemoryGraph) -> Self {
        Self { graph: RwLock::new(Some(graph)) }
    }

    /// Runs `f` on the graph; `None` once it is closed.
    pub fn with<T>(&self, f: impl FnOnce(&MemoryGraph) -> T) -> Option<T> {
        let guard = self.graph.read().unwrap_or_else(|p| p.into_inner());
        guard.as_ref().map(f)
    }

    /// Closes the database (its connections, its keys and its caches go with it); waits for
    /// calls in flight. Later calls get `None`. Returns whether it was open.
    pub fn close(&self) -> bool {
        let mut graph = self.graph.write().unwrap_or_else(|p| p.into_inner());
        let was_open = graph.is_some();
        // Dropped in place, not moved out first: its key is zeroized where it lies.
        *graph = None;
        was_open
    }

    pub fn is_open(&self) -> bool {
        self.graph.read().unwrap_or_else(|p| p.into_inner()).is_some()
    }
}
