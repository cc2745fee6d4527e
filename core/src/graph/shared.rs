//! A memory graph that several handles share and that can be closed once for all of them: the
//! app's root object and its sub-objects, or a kiosk resident's vault that must shut the moment
//! staff switch resident or the tablet locks.

use super::MemoryGraph;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{RwLock, TryLockError};

/// An open graph, or nothing after [`SharedGraph::close`].
#[derive(Debug)]
pub struct SharedGraph {
    graph: RwLock<Option<MemoryGraph>>,
    closed: AtomicBool,
}

impl SharedGraph {
    pub fn new(graph: MemoryGraph) -> Self {
        Self { graph: RwLock::new(Some(graph)), closed: AtomicBool::new(false) }
    }

    /// Runs `f` on the graph; `None` once it is closed.
    pub fn with<T>(&self, f: impl FnOnce(&MemoryGraph) -> T) -> Option<T> {
        if self.closed.load(Ordering::Acquire) {
            return None;
        }
        let out = {
            let guard = self.graph.read().unwrap_or_else(|p| p.into_inner());
            guard.as_ref().map(f)
        };
        if self.closed.load(Ordering::Acquire) {
            // Closed while this call ran: the last call out drops the graph.
            self.drop_if_idle();
        }
        out
    }

    /// Closes the graph: new calls get `None` at once, and the database (its connections, key
    /// and caches) is dropped as soon as no call is running on it — now, or when the last
    /// running call returns. Never waits, so closing from a callback of a running call (or
    /// while holding another lock that call needs) cannot deadlock. Returns whether it was open.
    pub fn close(&self) -> bool {
        let was_open = !self.closed.swap(true, Ordering::AcqRel);
        self.drop_if_idle();
        was_open
    }

    fn drop_if_idle(&self) {
        // Assigning drops the graph in place: its key is zeroized where it lies, not moved.
        match self.graph.try_write() {
            Ok(mut graph) => *graph = None,
            Err(TryLockError::Poisoned(p)) => *p.into_inner() = None,
            Err(TryLockError::WouldBlock) => {}
        }
    }

    pub fn is_open(&self) -> bool {
        !self.closed.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keystore::FileKeyStore;
    use std::sync::Arc;

    #[test]
    fn closing_during_a_call_does_not_wait_and_the_last_call_out_drops_the_graph() {
        let dir = tempfile::tempdir().expect("tempdir");
        let keys = FileKeyStore::new(dir.path().join("keys"));
        let graph = MemoryGraph::open(&dir.path().join("data"), &keys).expect("open");
        let shared = Arc::new(SharedGraph::new(graph));
        let inner = shared.clone();
        // Close from inside a running call, as a listener callback might.
        let seen = shared.with(|g| {
            assert!(inner.close());
            assert!(inner.with(|_| ()).is_none(), "new calls fail at once");
            g.list_memories(0, 1).map(|m| m.len())
        });
        assert_eq!(seen.map(|r| r.ok()), Some(Some(0)), "the running call finished");
        assert!(!shared.is_open());
        assert!(shared.graph.read().expect("lock").is_none(), "dropped when the call returned");
        assert!(!shared.close(), "closing twice reports it was already closed");
    }
}
