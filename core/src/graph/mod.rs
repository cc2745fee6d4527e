//! The personal memory graph: memories, transcript segments, and the people, places, periods,
//! events, emotions and topics in them, each fact linked to the span it came from.
//!
//! [`MemoryGraph`] is the one entry point; its methods are grouped by what they touch, one file
//! each (memories, segments, entities, merges, views, search).

mod about;
mod codec;
mod entities;
mod error;
mod facts;
mod media;
mod memories;
mod merge;
mod model;
mod photos;
mod profile;
mod queue;
mod search;
mod segments;
mod semantic;
mod shared;
mod transcripts;
mod views;
mod voice;

pub use about::AboutWhenParseError;
pub use entities::EntityQuery;
pub use error::GraphError;
pub use facts::{ExtractionReport, FactView};
pub use media::NewMediaFile;
pub use memories::{DeletedMemory, MemoryDetail};
pub use merge::{MergeProposal, MergeState};
pub use model::*;
pub use photos::{ImportedPhoto, PhotoInfo, Rendition, MAX_PHOTO_FILE_BYTES};
pub use profile::OwnerProfile;
pub use queue::{QueueReport, RetranscriptionQueue};
pub use search::{SearchHit, TextRange};
pub use semantic::{RelatedMemory, SearchCapabilities};
pub use shared::SharedGraph;
pub use views::{
    Coverage, DecadeCount, EntityView, KindCount, Page, RelationDirection, RelationView, Timeline,
};
pub use voice::RECOVERED_TITLE;

use crate::keystore::KeyStore;
use crate::store::Database;
use std::path::{Path, PathBuf};

/// The owner's memory graph, stored encrypted in a data directory.
#[derive(Debug)]
pub struct MemoryGraph {
    db: Database,
    data_dir: PathBuf,
    /// Reads facts from new and corrected transcripts, when attached.
    extractor: std::sync::RwLock<Option<crate::extract::Extractor>>,
    /// Embeds new and corrected segments, when attached.
    embedder: std::sync::RwLock<Option<std::sync::Arc<crate::embed::Embedder>>>,
    vectors: std::sync::RwLock<semantic::VectorCache>,
}

impl MemoryGraph {
    /// Opens (or creates) the graph in `data_dir`, unlocking it with the key from `keys`.
    pub fn open(data_dir: &Path, keys: &dyn KeyStore) -> Result<Self, GraphError> {
        let db = Database::open(data_dir, keys)?;
        Ok(Self {
            db,
            data_dir: data_dir.to_path_buf(),
            extractor: Default::default(),
            embedder: Default::default(),
            vectors: Default::default(),
        })
    }

    /// The data directory; file references in the graph are relative to it.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Attaches the extraction lexicon and (when `semantic`) the embedding model from a models
    /// folder (what `models/fetch.sh` fills). Missing models are not errors: extraction falls
    /// back to rules without the lexicon, search to full text. Returns (lexicon, semantic).
    pub fn attach_understanding(&self, models: &Path, semantic: bool) -> (bool, bool) {
        use crate::{embed::Embedder, extract::Extractor};
        let extractor = Extractor::load(&Extractor::default_dir(models));
        let lexicon = extractor.is_ok();
        self.attach_extractor(extractor.unwrap_or_else(|_| Extractor::without_lexicon()));
        let embedder =
            if semantic { Embedder::load(&Embedder::default_dir(models)).ok() } else { None };
        let embedded = embedder.is_some();
        if let Some(embedder) = embedder {
            self.attach_embedder(std::sync::Arc::new(embedder));
        }
        (lexicon, embedded)
    }

    /// What runs after a memory's text changes: fact extraction and embedding, each when its
    /// model is attached.
    pub(crate) fn understand(&self, memory: MemoryId) -> Result<(), GraphError> {
        self.extract_memory(memory)?;
        self.embed_memory(memory)?;
        // The learned emotion tagger (when a round's model was fetched) proposes what the rules
        // missed. It is a suggestion: failing to make one never fails the story.
        let _ = crate::learn::signal::suggest_with_latest(self, memory);
        Ok(())
    }

    /// The underlying database (for the stages that add their own tables).
    pub fn database(&self) -> &Database {
        &self.db
    }
}

/// Milliseconds since the Unix epoch, from the system clock.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A fresh graph in a temporary directory with the real extractor attached (for tests).
#[cfg(test)]
pub(crate) fn test_graph_with_extractor() -> (tempfile::TempDir, MemoryGraph) {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = crate::keystore::FileKeyStore::new(dir.path().join("keys"));
    let graph = MemoryGraph::open(&dir.path().join("data"), &keys).expect("open");
    graph.attach_extractor(crate::extract::tests::extractor().clone());
    (dir, graph)
}

#[cfg(test)]
mod photo_tests;
#[cfg(test)]
mod tests;
