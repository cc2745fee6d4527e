//! The root object: opens a data directory and hands out the sub-objects.

use crate::key_store::{HostKeys, KeyStore};
use crate::session::Session;
use crate::{ApiError, Life, Memories, Merges, People, Recorder, Search, Transcriber};
use heirloom_core::graph::MemoryGraph;
use std::path::Path;
use std::sync::Arc;

/// One owner's Heirloom: an encrypted data directory, opened.
#[derive(Debug, uniffi::Object)]
pub struct Heirloom {
    session: Arc<Session>,
}

#[uniffi::export]
impl Heirloom {
    /// Opens (or creates) the data directory, unlocking it with the key from `key_store`.
    #[uniffi::constructor]
    pub fn open(data_dir: String, key_store: Arc<dyn KeyStore>) -> Result<Arc<Self>, ApiError> {
        let graph = MemoryGraph::open(Path::new(&data_dir), &HostKeys(key_store))?;
        Ok(Arc::new(Self { session: Arc::new(Session::new(graph)) }))
    }

    /// Memories, their transcript segments, recordings and media.
    pub fn memories(&self) -> Arc<Memories> {
        Arc::new(Memories::new(self.session.clone()))
    }

    /// Voice recording, WAV import and recovery of interrupted recordings.
    pub fn recorder(&self) -> Arc<Recorder> {
        Arc::new(Recorder::new(self.session.clone()))
    }

    /// People, places and the other entities; mentions and relations.
    pub fn people(&self) -> Arc<People> {
        Arc::new(People::new(self.session.clone()))
    }

    /// Entity merge proposals.
    pub fn merges(&self) -> Arc<Merges> {
        Arc::new(Merges::new(self.session.clone()))
    }

    /// Full-text search.
    pub fn search(&self) -> Arc<Search> {
        Arc::new(Search::new(self.session.clone()))
    }

    /// Timeline and coverage.
    pub fn life(&self) -> Arc<Life> {
        Arc::new(Life::new(self.session.clone()))
    }

    /// On-device transcription with the models in `models_dir` (what `models/fetch.sh` fills;
    /// an app ships them with its assets).
    pub fn transcriber(&self, models_dir: String) -> Arc<Transcriber> {
        Arc::new(Transcriber::new(self.session.clone(), models_dir.into()))
    }

    /// Closes the database now; every object from this handle then fails with `Closed`.
    /// (Named `shutdown` because Kotlin's `AutoCloseable.close` and Swift's `deinit` already mean
    /// "release this handle".)
    pub fn shutdown(&self) {
        self.session.close();
    }
}
