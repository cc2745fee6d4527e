//! The root object: opens a data directory and hands out the sub-objects.

use crate::key_store::{HostKeys, KeyStore};
use crate::session::Session;
use crate::sharing_types::{ConsentPolicy, EnclaveConfig};
use crate::Videos;
use crate::{
    ApiError, Consent, Facts, Identity, Interview, Life, Memories, Merges, Outbox, People, Photos,
    Recorder, Search, Transcriber,
};
use heirloom_core::graph::MemoryGraph;
use std::path::Path;
use std::sync::Arc;

/// What `load_understanding` found: each model is optional, and the app can show what works.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Understanding {
    /// Facts are read from stories with the full lexicon (else relations, periods, events and
    /// emotions only).
    pub lexicon: bool,
    /// Search by meaning and related memories by meaning.
    pub semantic: bool,
}

/// One owner's Heirloom: an encrypted data directory, opened.
#[derive(Debug, uniffi::Object)]
pub struct Heirloom {
    session: Arc<Session>,
    keys: Arc<HostKeys>,
}

#[uniffi::export]
impl Heirloom {
    /// Opens (or creates) the data directory, unlocking it with the key from `key_store`.
    #[uniffi::constructor]
    pub fn open(data_dir: String, key_store: Arc<dyn KeyStore>) -> Result<Arc<Self>, ApiError> {
        let keys = Arc::new(HostKeys(key_store));
        let graph = MemoryGraph::open(Path::new(&data_dir), keys.as_ref())?;
        Ok(Arc::new(Self { session: Arc::new(Session::new(graph)), keys }))
    }

    /// Memories, their transcript segments, recordings and media.
    pub fn memories(&self) -> Arc<Memories> {
        Arc::new(Memories::new(self.session.clone()))
    }

    /// Photos: import, details, thumbnails.
    pub fn photos(&self) -> Arc<Photos> {
        Arc::new(Photos::new(self.session.clone()))
    }

    /// Memory videos: storyboards to show and edit.
    pub fn videos(&self) -> Arc<Videos> {
        Arc::new(Videos::new(self.session.clone()))
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

    /// Facts read from the stories, proposals, and the owner's profile.
    pub fn facts(&self) -> Arc<Facts> {
        Arc::new(Facts::new(self.session.clone()))
    }

    /// The interviewer: next question, answers, reminders.
    pub fn interview(&self) -> Arc<Interview> {
        Arc::new(Interview::new(self.session.clone()))
    }

    /// Loads the extraction lexicon and the embedding model from `models_dir` (what
    /// `models/fetch.sh` fills), so new and corrected stories are read for facts and embedded.
    /// A missing model is not an error: the flags say what is available.
    pub fn load_understanding(&self, models_dir: String) -> Result<Understanding, ApiError> {
        self.session.with(|g| {
            let (lexicon, semantic) = g.attach_understanding(Path::new(&models_dir), true);
            Ok::<_, ApiError>(Understanding { lexicon, semantic })
        })
    }

    /// The family circle, family shares, and receiving shares from others.
    pub fn family(&self) -> Arc<crate::Family> {
        Arc::new(crate::Family::new(self.session.clone(), self.keys.clone()))
    }

    /// The owner's keys and recovery kit.
    pub fn identity(&self) -> Arc<Identity> {
        Arc::new(Identity::new(self.keys.clone()))
    }

    /// Consent per memory and purpose, recorded under the controller's `policy`.
    pub fn consent(&self, policy: ConsentPolicy) -> Arc<Consent> {
        Arc::new(Consent::new(self.session.clone(), self.keys.clone(), policy))
    }

    /// The uploads queue, talking to the enclave in `enclave` (its signing keys pinned).
    pub fn outbox(&self, enclave: EnclaveConfig) -> Result<Arc<Outbox>, ApiError> {
        Ok(Arc::new(Outbox::new(self.session.clone(), enclave)?))
    }

    /// Federated learning with the enclave in `enclave`: status, budget, joining rounds, the
    /// contribution ledger.
    pub fn learning(&self, enclave: EnclaveConfig) -> Result<Arc<crate::Learning>, ApiError> {
        Ok(Arc::new(crate::Learning::new(self.session.clone(), enclave)?))
    }

    /// Closes the database now; every object from this handle then fails with `Closed`.
    /// (Named `shutdown` because Kotlin's `AutoCloseable.close` and Swift's `deinit` already mean
    /// "release this handle".)
    pub fn shutdown(&self) {
        self.session.close();
    }
}
