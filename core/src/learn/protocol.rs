//! What a federated round says, defined once for the phone and the enclave: the enclave's
//! signed announcement of a round (the global model's hash and the round's settings), the
//! metadata an update carries, and the contribution the enclave's receipt records.

use super::LearnError;
use crate::extract::{EmotionKind, EventKind, Fact};
use crate::graph::EntityKind;
use crate::outbox::protocol::{sign_as, verify_as};
use crate::seal::{SealError, SigningIdentity, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// `format` of a round announcement.
pub const ROUND_FORMAT: &str = "heirloom-learn-round/1";
/// `format` in the metadata of a global model and of an update.
pub const MODEL_FORMAT: &str = "heirloom-learn-head/1";
/// Emotion tags for transcript segments.
pub const EMOTION_TASK: &str = "emotion-tagger";
/// Topic tags for transcript segments: the kind of life event a segment tells of.
pub const TOPIC_TASK: &str = "topic-tagger";

/// What a tagger learns, from which of the owner's confirmed facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Task {
    /// The emotion a segment tells of (joy, grief, …), from confirmed emotion facts.
    Emotion,
    /// Its topic, the kind of life event (wedding, war service, emigration, …), from confirmed
    /// event facts.
    Topic,
}

impl Task {
    pub const ALL: [Task; 2] = [Task::Emotion, Task::Topic];

    pub fn parse(name: &str) -> Option<Task> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The task's name in round settings and model files.
    pub fn name(self) -> &'static str {
        match self {
            Task::Emotion => EMOTION_TASK,
            Task::Topic => TOPIC_TASK,
        }
    }

    /// The graph's entity kind whose facts are the task's labels.
    pub fn entity_kind(self) -> EntityKind {
        match self {
            Task::Emotion => EntityKind::Emotion,
            Task::Topic => EntityKind::Event,
        }
    }

    /// That kind as stored (`entity.kind`, `rejected_fact.kind`).
    pub(crate) fn kind_text(self) -> &'static str {
        match self {
            Task::Emotion => "emotion",
            Task::Topic => "event",
        }
    }

    /// Every label the task can have, in a stable order.
    pub fn labels(self) -> Vec<String> {
        match self {
            Task::Emotion => EmotionKind::ALL.iter().map(|k| k.as_str().to_owned()).collect(),
            Task::Topic => EventKind::ALL.iter().map(|k| k.as_str().to_owned()).collect(),
        }
    }

    /// The fact a label stands for, if it is one of the task's.
    pub fn fact(self, label: &str) -> Option<Fact> {
        match self {
            Task::Emotion => EmotionKind::parse(label).map(|emotion| Fact::Emotion { emotion }),
            Task::Topic => EventKind::parse(label).map(|event| Fact::Event { event }),
        }
    }

    /// The label of `fact`, if it is of the task's kind.
    pub fn label_of(self, fact: &Fact) -> Option<&'static str> {
        match (self, fact) {
            (Task::Emotion, Fact::Emotion { emotion }) => Some(emotion.as_str()),
            (Task::Topic, Fact::Event { event }) => Some(event.as_str()),
            _ => None,
        }
    }
}

/// A round's settings, chosen by the federation's operator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundConfig {
    pub task: String,
    /// The labels, in the head's output order.
    pub labels: Vec<String>,
    /// Embedding width.
    pub dim: u32,
    #[serde(with = "float_text")]
    pub learning_rate: f64,
    pub local_epochs: u32,
    pub batch_size: u32,
    /// L2 bound C each update is clipped to.
    #[serde(with = "float_text")]
    pub clip_norm: f64,
    /// σ: the noise the round's aggregate carries has standard deviation at least σ·C.
    #[serde(with = "float_text")]
    pub noise_multiplier: f64,
    /// Over how many clients the noise is split: each adds N(0, (σC)²/shares), so the sum of
    /// at least `shares` updates carries N(0, (σC)²) or more (distributed DP; the enclave
    /// releases only averages of at least `min_clients ≥ shares` updates). 1: every update
    /// carries the whole σC (local DP).
    pub noise_shares: u32,
    /// The round is aggregated only with at least this many updates.
    pub min_clients: u32,
    /// η: the enclave moves the global model by η times its (momentum) step. More than 1 makes
    /// up for clipping, which bounds how far each round can move the model (FedAvgM, Hsu et
    /// al. 2019). Post-processing of the noised average: it costs no privacy.
    #[serde(with = "float_text", default = "one")]
    pub server_learning_rate: f64,
    /// β: the step is the noised average plus β times the previous round's step.
    #[serde(with = "float_text", default)]
    pub server_momentum: f64,
}

fn one() -> f64 {
    1.0
}

/// Signed documents are canonical JSON, which has integers only: real numbers travel as their
/// shortest round-trip decimal text ("0.5", "1e-5").
mod float_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(|_| serde::de::Error::custom("not a number"))
    }
}

impl RoundConfig {
    /// Checks every setting is in range (an announcement is signed, but a client still refuses
    /// settings that would make it train badly or leak: no noise, no clipping).
    pub fn check(&self) -> Result<(), LearnError> {
        let bad = |reason| Err(LearnError::InvalidInput { reason });
        let Some(task) = Task::parse(&self.task) else {
            return bad("a known task");
        };
        if self.labels.iter().any(|l| task.fact(l).is_none()) {
            return bad("labels that are the task's kinds");
        }
        let unique = {
            let mut l = self.labels.clone();
            l.sort();
            l.dedup();
            l.len() == self.labels.len()
        };
        if !(2..=256).contains(&self.labels.len()) || !unique {
            return bad("2 to 256 distinct labels");
        }
        if !(1..=4096).contains(&self.dim) {
            return bad("an embedding width of 1 to 4096");
        }
        if !(self.learning_rate.is_finite()
            && self.learning_rate > 0.0
            && self.learning_rate <= 10.0)
        {
            return bad("a learning rate in (0, 10]");
        }
        if !(1..=100).contains(&self.local_epochs) || !(1..=4096).contains(&self.batch_size) {
            return bad("1 to 100 local epochs and batches of 1 to 4096");
        }
        if !(self.clip_norm.is_finite() && self.clip_norm > 0.0) {
            return bad("a positive clip norm");
        }
        if !(self.noise_multiplier.is_finite() && self.noise_multiplier >= 0.3) {
            return bad("a noise multiplier of at least 0.3");
        }
        if self.min_clients < 2 {
            return bad("at least 2 clients per round");
        }
        if !(1..=self.min_clients).contains(&self.noise_shares) {
            return bad("noise split over 1 to min_clients clients");
        }
        if !(self.server_learning_rate.is_finite()
            && self.server_learning_rate > 0.0
            && self.server_learning_rate <= 100.0)
        {
            return bad("a server learning rate in (0, 100]");
        }
        if !(self.server_momentum.is_finite() && (0.0..1.0).contains(&self.server_momentum)) {
            return bad("a server momentum in [0, 1)");
        }
        Ok(())
    }
}

/// The enclave's announcement of an open round, signed with its Ed25519 key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundAnnouncement {
    pub round: u64,
    pub config: RoundConfig,
    /// SHA-256 (hex) and size of the global model's safetensors file.
    pub model_sha256: String,
    pub model_bytes: u64,
    pub measurement: String,
    /// Unix seconds.
    pub opened_at: i64,
}

impl RoundAnnouncement {
    /// Signs the announcement (the enclave does).
    pub fn sign(&self, signer: &SigningIdentity) -> Result<Value, SealError> {
        sign_as(self, ROUND_FORMAT, signer)
    }

    /// Verifies an announcement against the pinned enclave signing keys and checks its
    /// settings.
    pub fn verify(doc: &Value, pinned: &[VerifyingKey]) -> Result<Self, LearnError> {
        let round: Self = verify_as(doc, ROUND_FORMAT, pinned)
            .map_err(|_| LearnError::Untrusted { what: "round announcement" })?;
        round.config.check()?;
        Ok(round)
    }

    /// Checks `model` is the file announced (size and hash) and reads it; its shape must be the
    /// round's.
    pub fn open_model(&self, model: &[u8]) -> Result<super::HeadWeights, LearnError> {
        if model.len() as u64 != self.model_bytes || sha256_hex(model) != self.model_sha256 {
            return Err(LearnError::Untrusted { what: "global model" });
        }
        let (weights, meta) = super::HeadWeights::from_safetensors(model)?;
        let round = meta.get("round").and_then(|r| r.parse::<u64>().ok());
        if weights.dim != self.config.dim as usize
            || weights.labels != self.config.labels.len()
            || meta.get("format").map(String::as_str) != Some(MODEL_FORMAT)
            || round != Some(self.round)
        {
            return Err(LearnError::Untrusted { what: "global model" });
        }
        Ok(weights)
    }
}

/// What an accepted update contributed, as the enclave's receipt records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contribution {
    pub task: String,
    pub round: u64,
    /// SHA-256 (hex) of the update's safetensors file.
    pub update_sha256: String,
    pub example_count: u64,
}

/// An update's header, as the enclave reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateHeader {
    pub task: String,
    pub round: u64,
    pub example_count: u64,
}

/// The metadata a model file or an update carries.
pub(crate) fn model_metadata(
    task: &str,
    round: u64,
    example_count: Option<u64>,
) -> Vec<(&'static str, String)> {
    let mut meta = vec![
        ("format", MODEL_FORMAT.to_owned()),
        ("task", task.to_owned()),
        ("round", round.to_string()),
    ];
    if let Some(n) = example_count {
        meta.push(("example_count", n.to_string()));
    }
    meta
}

/// Reads an update (a weight difference) and its header; the enclave checks it against the
/// round it is for.
pub fn read_update(bytes: &[u8]) -> Result<(super::HeadWeights, UpdateHeader), LearnError> {
    let (delta, meta) = super::HeadWeights::from_safetensors(bytes)?;
    let get = |k: &str| meta.get(k).cloned();
    let bad = || LearnError::InvalidInput { reason: "an update without its round's metadata" };
    if get("format").as_deref() != Some(MODEL_FORMAT) {
        return Err(bad());
    }
    let header = UpdateHeader {
        task: get("task").ok_or_else(bad)?,
        round: get("round").and_then(|r| r.parse().ok()).ok_or_else(bad)?,
        example_count: get("example_count").and_then(|r| r.parse().ok()).ok_or_else(bad)?,
    };
    if header.example_count == 0 {
        return Err(bad());
    }
    Ok((delta, header))
}

/// The global model file of `round`.
pub fn model_file(
    task: &str,
    round: u64,
    weights: &super::HeadWeights,
) -> Result<Vec<u8>, LearnError> {
    weights.to_safetensors(&model_metadata(task, round, None))
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
