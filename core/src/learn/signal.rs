//! The learned taggers as a signal for extraction. The rules find an emotion or a life event
//! only where a story uses a word they know ("happy", "cried", "wedding"); a head reads the
//! whole sentence's embedding. Where the rules found no fact of the tagger's kind in a segment
//! and the head is confident, its guess becomes an inferred fact below the proposal line: the
//! owner is asked, never told. The model is the last global model of its task this device
//! fetched (a round's, signed and hash-checked), calibrated on the owner's confirmed facts.

use super::protocol::Task;
use super::{HeadWeights, LearnError};
use crate::extract::{Extractor, TellerContext};
use crate::graph::{EntityAttributes, EntityQuery, FactStatus, MemoryGraph, MemoryId, NewEntity};

/// A linear softmax head with its task and labels, evaluated in plain Rust (no candle on this
/// path).
#[derive(Debug, Clone)]
pub struct Tagger {
    task: Task,
    weights: HeadWeights,
    labels: Vec<String>,
}

impl Tagger {
    /// Refuses labels that are not one per output or not the task's kinds.
    pub fn new(task: Task, weights: HeadWeights, labels: Vec<String>) -> Result<Self, LearnError> {
        if labels.len() != weights.labels || labels.iter().any(|l| task.fact(l).is_none()) {
            return Err(LearnError::InvalidInput { reason: "one label of the task per output" });
        }
        Ok(Self { task, weights, labels })
    }

    pub fn task(&self) -> Task {
        self.task
    }

    /// The most likely label and its probability, for an embedding of the head's width.
    pub fn tag(&self, embedding: &[f32]) -> Option<(&str, f64)> {
        if embedding.len() != self.weights.dim {
            return None;
        }
        let logits = logits(&self.weights, embedding);
        let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = logits.iter().map(|v| (v - max).exp()).sum();
        let (best, logit) = logits.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1))?;
        Some((self.labels[best].as_str(), (logit - max).exp() / total))
    }
}

/// Temperature scaling (Guo et al. 2017) on the owner's confirmed examples: the T in
/// [0.05, 5] whose softmax(logits / T) best predicts them (least negative log-likelihood), and
/// the weights scaled by 1/T, which give those probabilities directly. The global model's
/// updates are clipped, so its weights stay small and its probabilities flat even where its
/// ranking is right; a T below 1 sharpens them where the owner's own facts agree with it, and a
/// T above 1 flattens a model the owner's facts disagree with. One number, fitted on the device:
/// nothing leaves.
pub fn calibrate(
    weights: &HeadWeights,
    inputs: &[Vec<f32>],
    labels: &[u32],
) -> Result<(HeadWeights, f64), LearnError> {
    if inputs.is_empty()
        || inputs.len() != labels.len()
        || inputs.iter().any(|x| x.len() != weights.dim)
        || labels.iter().any(|l| *l as usize >= weights.labels)
    {
        return Err(LearnError::InvalidInput { reason: "examples of the head's width and labels" });
    }
    let logits: Vec<Vec<f64>> = inputs.iter().map(|x| logits(weights, x)).collect();
    let nll = |t: f64| -> f64 {
        logits
            .iter()
            .zip(labels)
            .map(|(z, y)| {
                let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let log_total = z.iter().map(|v| ((v - max) / t).exp()).sum::<f64>().ln();
                log_total - (z[*y as usize] - max) / t
            })
            .sum()
    };
    const STEPS: usize = 120;
    let (low, high) = (0.05f64.ln(), 5.0f64.ln());
    let t = (0..=STEPS)
        .map(|i| (low + (high - low) * i as f64 / STEPS as f64).exp())
        .map(|t| (t, nll(t)))
        .filter(|(_, v)| v.is_finite())
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(1.0, |(t, _)| t);
    let scale = |v: &[f32]| v.iter().map(|w| (f64::from(*w) / t) as f32).collect::<Vec<f32>>();
    let scaled = HeadWeights {
        dim: weights.dim,
        labels: weights.labels,
        weight: scale(&weights.weight),
        bias: scale(&weights.bias),
    };
    Ok((scaled, t))
}

/// The head's logits for one embedding of its width.
fn logits(weights: &HeadWeights, embedding: &[f32]) -> Vec<f64> {
    let dim = weights.dim;
    (0..weights.labels)
        .map(|l| {
            let row = &weights.weight[l * dim..(l + 1) * dim];
            let dot: f64 =
                row.iter().zip(embedding).map(|(a, b)| f64::from(*a) * f64::from(*b)).sum();
            dot + f64::from(weights.bias[l])
        })
        .collect()
}

/// The probability the tagger needs before it proposes an emotion the rules did not find.
pub const SUGGEST_AT: f64 = 0.6;

/// Proposes what the tagger is confident of in `memory`'s segments that have an embedding and
/// no fact of its kind yet: an inferred mention over the segment, at confidence 0.5 × p (always
/// a proposal for the owner). Returns how many were proposed.
pub fn suggest(graph: &MemoryGraph, memory: MemoryId, tagger: &Tagger) -> Result<u32, LearnError> {
    let kind = tagger.task.entity_kind();
    let detail = graph.memory_detail(memory).map_err(|_| LearnError::Storage)?;
    let covered: std::collections::HashSet<i64> = detail
        .mentions
        .iter()
        .filter(|m| detail.entities.iter().any(|e| e.id == m.entity_id && e.kind == kind))
        .map(|m| m.span.segment_id)
        .collect();
    let vectors = super::store::segment_vectors(graph, memory)?;
    let mut proposed = 0;
    for segment in &detail.segments {
        if covered.contains(&segment.id) {
            continue;
        }
        let Some(vector) = vectors.iter().find(|(id, _)| *id == segment.id).map(|(_, v)| v) else {
            continue;
        };
        let Some((label, p)) = tagger.tag(vector) else { continue };
        let Some(fact) = tagger.task.fact(label) else { continue };
        if p < SUGGEST_AT || super::store::rejected(graph, memory, tagger.task, label)? {
            continue;
        }
        let text = segment.user_text.as_deref().unwrap_or(&segment.machine_text);
        if text.trim().is_empty() {
            continue;
        }
        let entity = entity_for(graph, tagger.task, label)?;
        let detail = serde_json::to_string(&fact).map_err(|_| LearnError::Storage)?;
        super::store::propose(graph, memory, segment.id, text, entity, 0.5 * p, &detail)?;
        proposed += 1;
    }
    Ok(proposed)
}

/// The entity of the task's kind named `label`, made if there is none yet.
fn entity_for(graph: &MemoryGraph, task: Task, label: &str) -> Result<i64, LearnError> {
    let kind = task.entity_kind();
    let query = EntityQuery { kind: Some(kind), name: Some(label.to_owned()) };
    let found = graph.list_entities(&query).map_err(|_| LearnError::Storage)?;
    if let Some(e) = found.iter().find(|e| e.display_name.eq_ignore_ascii_case(label)) {
        return Ok(e.id);
    }
    let new = NewEntity {
        kind,
        display_name: label.to_owned(),
        aliases: Vec::new(),
        attributes: EntityAttributes::default(),
        status: FactStatus::Inferred,
    };
    graph.create_entity(&new).map(|e| e.id).map_err(|_| LearnError::Storage)
}

/// How well a kind of fact is found in labelled sentences: per sentence, the right one found (a
/// hit), a wrong one (a false alarm), or none.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Detection {
    pub sentences: usize,
    pub hits: usize,
    pub false_alarms: usize,
}

impl Detection {
    /// Hits over sentences.
    pub fn recall(&self) -> f64 {
        self.hits as f64 / self.sentences.max(1) as f64
    }
    /// Hits over everything said.
    pub fn precision(&self) -> f64 {
        self.hits as f64 / (self.hits + self.false_alarms).max(1) as f64
    }
}

/// Scores the rules alone, and the rules with the tagger filling in where they found nothing
/// of its kind (at [`SUGGEST_AT`]), on labelled sentences with their embeddings.
pub fn measure_signal(
    extractor: &Extractor,
    tagger: &Tagger,
    sentences: &[(&str, &[f32], &str)],
) -> (Detection, Detection) {
    let mut rules = Detection::default();
    let mut both = Detection::default();
    for (text, embedding, truth) in sentences {
        let extracted = extractor.extract(&[text], TellerContext::default());
        let rule_guess = extracted.facts.iter().find_map(|f| tagger.task.label_of(&f.fact));
        let guess = rule_guess
            .or_else(|| tagger.tag(embedding).filter(|(_, p)| *p >= SUGGEST_AT).map(|(l, _)| l));
        for (d, g) in [(&mut rules, rule_guess), (&mut both, guess)] {
            d.sentences += 1;
            match g {
                Some(g) if g == *truth => d.hits += 1,
                Some(_) => d.false_alarms += 1,
                None => {}
            }
        }
    }
    (rules, both)
}

/// Proposes emotions and topics in `memory` with the device's last global model of each task,
/// where it has one (what runs after extraction). Returns how many were proposed.
pub fn suggest_with_latest(graph: &MemoryGraph, memory: MemoryId) -> Result<u32, LearnError> {
    let mut proposed = 0;
    for task in Task::ALL {
        if let Some((weights, labels)) = super::store::model(graph, task.name())? {
            proposed += suggest(graph, memory, &Tagger::new(task, weights, labels)?)?;
        }
    }
    Ok(proposed)
}
