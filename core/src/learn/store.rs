//! Learning rows in the owner's database: the privacy budget and what was spent, the updates
//! made (the contribution ledger, with the enclave's receipts from the outbox), the training
//! checkpoint, and the labelled examples read from the graph.

use super::{HeadWeights, LearnError, PrivacyBudget, RdpAccountant};
use crate::graph::MemoryGraph;
use crate::outbox::protocol::UploadReceipt;
use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

/// The budget a new owner starts with: ε = 8 at δ = 10⁻⁵ (enough for a handful of rounds at
/// σ ≈ 1; the owner may lower or raise it).
pub const DEFAULT_BUDGET: PrivacyBudget = PrivacyBudget { epsilon: 8.0, delta: 1e-5 };

/// At most this many examples are trained on per round (bounds memory: 20,000 × 384 floats is
/// 30 MB).
pub const MAX_EXAMPLES: usize = 20_000;

impl From<rusqlite::Error> for LearnError {
    fn from(_: rusqlite::Error) -> Self {
        LearnError::Storage
    }
}

impl From<crate::store::StoreError> for LearnError {
    fn from(_: crate::store::StoreError) -> Self {
        LearnError::Storage
    }
}

#[derive(Serialize, Deserialize)]
struct Spent {
    rdp: Vec<f64>,
    rounds: u32,
}

/// The owner's budget and what has been spent against it.
pub fn budget(graph: &MemoryGraph) -> Result<(PrivacyBudget, RdpAccountant), LearnError> {
    graph.database().read(budget_in)
}

fn budget_in(tx: &Transaction<'_>) -> Result<(PrivacyBudget, RdpAccountant), LearnError> {
    let row: Option<(f64, f64, String)> = tx
        .query_row("SELECT epsilon, delta, spent FROM learn_budget WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let Some((epsilon, delta, spent)) = row else {
        return Ok((DEFAULT_BUDGET, RdpAccountant::default()));
    };
    let spent = if spent == "[]" {
        RdpAccountant::default()
    } else {
        let s: Spent = serde_json::from_str(&spent).map_err(|_| LearnError::InvalidInput {
            reason: "stored privacy spending is damaged",
        })?;
        RdpAccountant::from_parts(s.rdp, s.rounds)?
    };
    Ok((PrivacyBudget { epsilon, delta }, spent))
}

fn save_budget_in(
    tx: &Transaction<'_>,
    budget: PrivacyBudget,
    spent: &RdpAccountant,
    now_ms: i64,
) -> Result<(), LearnError> {
    let (rdp, rounds) = spent.parts();
    let text = serde_json::to_string(&Spent { rdp: rdp.to_vec(), rounds })
        .map_err(|_| LearnError::Storage)?;
    tx.execute(
        "INSERT INTO learn_budget (id, epsilon, delta, spent, updated_ms) VALUES (1, ?1, ?2, ?3, ?4) \
         ON CONFLICT (id) DO UPDATE SET epsilon = ?1, delta = ?2, spent = ?3, updated_ms = ?4",
        params![budget.epsilon, budget.delta, text, now_ms],
    )?;
    Ok(())
}

/// Sets the owner's ceiling. Lowering it below what is spent is allowed: no further round fits.
pub fn set_budget(
    graph: &MemoryGraph,
    budget: PrivacyBudget,
    now_ms: i64,
) -> Result<(), LearnError> {
    let fine = budget.epsilon.is_finite()
        && budget.epsilon > 0.0
        && budget.delta > 0.0
        && budget.delta < 1e-3;
    if !fine {
        return Err(LearnError::InvalidInput { reason: "ε must be positive and δ below 0.001" });
    }
    graph.database().write(|tx| {
        let (_, spent) = budget_in(tx)?;
        save_budget_in(tx, budget, &spent, now_ms)
    })
}

/// One update, as written when a round is joined.
pub(super) struct NewUpdate<'a> {
    pub task: &'a str,
    pub round: u64,
    pub announcement: &'a str,
    pub file: &'a [u8],
    pub sha256: &'a str,
    pub example_count: u64,
    pub noise_multiplier: f64,
    pub noise_shares: u32,
}

/// In one transaction: checks the training consent is still live, spends the round against the
/// budget (refusing if it no longer fits), keeps the update and queues it in the outbox.
/// Returns the outbox item id and (ε this round, ε in total).
pub(super) fn record_update(
    graph: &MemoryGraph,
    update: &NewUpdate<'_>,
    now_ms: i64,
) -> Result<(i64, f64, f64), LearnError> {
    let grant = crate::consent::live_grant(
        graph,
        crate::consent::Subject::Training,
        crate::consent::Purpose::AiTraining,
        now_ms,
    )
    .map_err(|_| LearnError::Storage)?
    .ok_or(LearnError::ConsentRequired)?;
    graph.database().write(|tx| {
        let joined: Option<i64> = tx
            .query_row(
                "SELECT id FROM learn_update WHERE task = ?1 AND round = ?2",
                params![update.task, update.round as i64],
                |r| r.get(0),
            )
            .optional()?;
        if joined.is_some() {
            return Err(LearnError::AlreadyJoined { round: update.round });
        }
        let (budget, mut spent) = budget_in(tx)?;
        let total = budget.check_round(&spent, update.noise_multiplier)?;
        let alone = |sigma: f64| -> Result<f64, LearnError> {
            let mut one = RdpAccountant::default();
            one.add_round(sigma)?;
            one.epsilon(budget.delta)
        };
        // What the published average spends, and what this one update alone would reveal to
        // someone who saw it unaveraged (the enclave, were it broken into).
        let (round_eps, local_eps) = (
            alone(update.noise_multiplier)?,
            alone(update.noise_multiplier / f64::from(update.noise_shares.max(1)).sqrt())?,
        );
        spent.add_round(update.noise_multiplier)?;
        save_budget_in(tx, budget, &spent, now_ms)?;
        tx.execute(
            "INSERT INTO learn_update (task, round, announcement, update_file, update_sha256, update_bytes, \
             example_count, epsilon_round, epsilon_total, epsilon_update, created_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                update.task,
                update.round as i64,
                update.announcement,
                update.file,
                update.sha256,
                update.file.len() as i64,
                update.example_count as i64,
                round_eps,
                total,
                local_eps,
                now_ms
            ],
        )?;
        let id = tx.last_insert_rowid();
        tx.execute("DELETE FROM learn_checkpoint", [])?;
        let item = crate::outbox::store::enqueue_training_in(tx, id, &grant.receipt_id, now_ms)
            .map_err(|_| LearnError::Storage)?;
        Ok((item, round_eps, total))
    })
}

/// Whether this device already made an update for `round` of `task`.
pub(super) fn joined(graph: &MemoryGraph, task: &str, round: u64) -> Result<bool, LearnError> {
    graph.database().read(|tx| {
        Ok(tx
            .query_row(
                "SELECT 1 FROM learn_update WHERE task = ?1 AND round = ?2",
                params![task, round as i64],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    })
}

/// Streams update `id`'s file into `out` (the outbox seals it); the update must still be held.
pub(crate) fn write_update<W: std::io::Write>(
    graph: &MemoryGraph,
    id: i64,
    mut out: W,
) -> Result<W, crate::outbox::OutboxError> {
    use crate::outbox::OutboxError;
    let file: Option<Vec<u8>> = graph.database().read(|tx| {
        Ok::<_, OutboxError>(
            tx.query_row("SELECT update_file FROM learn_update WHERE id = ?1", [id], |r| r.get(0))
                .optional()?
                .flatten(),
        )
    })?;
    let file = file.ok_or(OutboxError::Refused { reason: "the model update is gone" })?;
    out.write_all(&file).map_err(|e| OutboxError::io("seal model update", &e))?;
    Ok(out)
}

/// Whether the enclave's receipt records exactly update `id` (round, hash, example count); if
/// so the update's file is no longer needed on the device and is dropped.
pub(crate) fn contribution_matches(
    graph: &MemoryGraph,
    id: i64,
    receipt: &UploadReceipt,
) -> Result<bool, crate::outbox::OutboxError> {
    use crate::outbox::OutboxError;
    let row: Option<(String, i64, String, i64)> = graph.database().read(|tx| {
        Ok::<_, OutboxError>(
            tx.query_row(
                "SELECT task, round, update_sha256, example_count FROM learn_update WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?,
        )
    })?;
    let Some((task, round, sha, count)) = row else { return Ok(false) };
    let ok = receipt.contribution.as_ref().is_some_and(|c| {
        c.task == task
            && c.round == round as u64
            && c.update_sha256 == sha
            && c.example_count == count as u64
            && receipt.plaintext_sha256.as_deref() == Some(sha.as_str())
    });
    if ok {
        graph.database().write(|tx| {
            tx.execute("UPDATE learn_update SET update_file = NULL WHERE id = ?1", [id])?;
            Ok::<_, OutboxError>(())
        })?;
    }
    Ok(ok)
}

/// A checkpoint of local training: resumed only for the same round and global model.
pub(super) struct Checkpoint {
    pub epochs_done: u32,
    pub weights: Vec<u8>,
}

pub(super) fn checkpoint(
    graph: &MemoryGraph,
    task: &str,
    round: u64,
    model_sha256: &str,
) -> Result<Option<Checkpoint>, LearnError> {
    graph.database().read(|tx| {
        Ok(tx
            .query_row(
                "SELECT epochs_done, weights FROM learn_checkpoint WHERE id = 1 AND task = ?1 \
                 AND round = ?2 AND model_sha256 = ?3",
                params![task, round as i64, model_sha256],
                |r| Ok(Checkpoint { epochs_done: r.get(0)?, weights: r.get(1)? }),
            )
            .optional()?)
    })
}

pub(super) fn save_checkpoint(
    graph: &MemoryGraph,
    task: &str,
    round: u64,
    model_sha256: &str,
    epochs_done: u32,
    weights: &HeadWeights,
    now_ms: i64,
) -> Result<(), LearnError> {
    let file = weights.to_safetensors(&[])?;
    graph.database().write(|tx| {
        tx.execute(
            "INSERT OR REPLACE INTO learn_checkpoint (id, task, round, model_sha256, epochs_done, weights, \
             updated_ms) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)",
            params![task, round as i64, model_sha256, epochs_done, file, now_ms],
        )?;
        Ok(())
    })
}

/// The labelled examples of `task`: each segment's stored sentence embedding with the fact of
/// the task's kind (an emotion, or a life event for topics) the owner confirmed in it (never a
/// guess, the tagger's own included), for the labels the round uses.
pub fn examples(
    graph: &MemoryGraph,
    task: super::protocol::Task,
    labels: &[String],
    dim: usize,
) -> Result<(Vec<Vec<f32>>, Vec<u32>), LearnError> {
    graph.database().read(|tx| {
        let mut stmt = tx.prepare(
            "SELECT e.vector, en.name_norm FROM mention m \
             JOIN entity en ON en.id = m.entity_id \
             JOIN segment_embedding e ON e.segment_id = m.segment_id \
             WHERE en.kind = ?2 AND m.status = 'confirmed' \
             ORDER BY m.id LIMIT ?1",
        )?;
        let rows = stmt.query_map(params![MAX_EXAMPLES as i64, task.kind_text()], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
        })?;
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for row in rows {
            let (blob, name) = row?;
            let Some(label) = labels.iter().position(|l| l.eq_ignore_ascii_case(&name)) else {
                continue;
            };
            if blob.len() != dim * 4 {
                continue; // embedded by another model: not this head's input
            }
            let v: Vec<f32> = blob
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            xs.push(v);
            ys.push(label as u32);
        }
        Ok((xs, ys))
    })
}

/// One line of the contribution ledger.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LedgerEntry {
    pub task: String,
    pub round: u64,
    pub update_sha256: String,
    pub update_bytes: u64,
    pub example_count: u64,
    pub epsilon_round: f64,
    pub epsilon_total: f64,
    /// ε of the update seen alone, before averaging (equal to `epsilon_round` with local noise).
    pub epsilon_update: f64,
    pub created_ms: i64,
    /// The outbox item's state: queued, sealed, uploaded, cancelled, failed, erased.
    pub state: String,
    /// The enclave's signed receipt recording the contribution (canonical JSON), once held.
    pub receipt: Option<serde_json::Value>,
}

/// Every update this device made, oldest first, with its receipt when the enclave accepted it.
pub fn ledger(graph: &MemoryGraph) -> Result<Vec<LedgerEntry>, LearnError> {
    graph.database().read(|tx| {
        let mut stmt = tx.prepare(
            "SELECT u.task, u.round, u.update_sha256, u.update_bytes, u.example_count, u.epsilon_round, \
             u.epsilon_total, u.epsilon_update, u.created_ms, coalesce(o.state, 'queued'), o.receipt \
             FROM learn_update u LEFT JOIN outbox_item o \
             ON o.subject_kind = 'training' AND o.subject_id = u.id \
             ORDER BY u.id",
        )?;
        let rows = stmt.query_map([], |r| {
            let receipt: Option<String> = r.get(10)?;
            Ok(LedgerEntry {
                task: r.get(0)?,
                round: r.get::<_, i64>(1)? as u64,
                update_sha256: r.get(2)?,
                update_bytes: r.get::<_, i64>(3)? as u64,
                example_count: r.get::<_, i64>(4)? as u64,
                epsilon_round: r.get(5)?,
                epsilon_total: r.get(6)?,
                epsilon_update: r.get(7)?,
                created_ms: r.get(8)?,
                state: r.get(9)?,
                receipt: receipt.and_then(|t| serde_json::from_str(&t).ok()),
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    })
}

/// Keeps `model` (a round's verified global model) as the device's tagger for `task`.
pub(super) fn save_model(
    graph: &MemoryGraph,
    task: &str,
    round: u64,
    labels: &[String],
    model: &[u8],
    now_ms: i64,
) -> Result<(), LearnError> {
    let labels = serde_json::to_string(labels).map_err(|_| LearnError::Storage)?;
    graph.database().write(|tx| {
        tx.execute(
            "INSERT OR REPLACE INTO learn_model (task, round, labels, model, updated_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![task, round as i64, labels, model, now_ms],
        )?;
        Ok(())
    })
}

/// The device's tagger for `task` (weights and labels), if it ever fetched a model.
pub(super) fn model(
    graph: &MemoryGraph,
    task: &str,
) -> Result<Option<(HeadWeights, Vec<String>)>, LearnError> {
    let row: Option<(String, Vec<u8>)> = graph.database().read(|tx| {
        Ok::<_, LearnError>(
            tx.query_row("SELECT labels, model FROM learn_model WHERE task = ?1", [task], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?,
        )
    })?;
    let Some((labels, model)) = row else { return Ok(None) };
    let labels: Vec<String> = serde_json::from_str(&labels).map_err(|_| LearnError::Storage)?;
    Ok(Some((HeadWeights::from_safetensors(&model)?.0, labels)))
}

/// Each segment of `memory` with its stored sentence embedding.
pub(super) fn segment_vectors(
    graph: &MemoryGraph,
    memory: i64,
) -> Result<Vec<(i64, Vec<f32>)>, LearnError> {
    graph.database().read(|tx| {
        let mut stmt = tx.prepare(
            "SELECT e.segment_id, e.vector FROM segment_embedding e JOIN segment s ON s.id = e.segment_id \
             WHERE s.memory_id = ?1",
        )?;
        let rows = stmt.query_map([memory], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, blob) = row?;
            let v = blob.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
            out.push((id, v));
        }
        Ok(out)
    })
}

/// Whether the owner rejected `label` of `task` in `memory` (then it is never proposed again).
pub(super) fn rejected(
    graph: &MemoryGraph,
    memory: i64,
    task: super::protocol::Task,
    label: &str,
) -> Result<bool, LearnError> {
    graph.database().read(|tx| {
        Ok(tx
            .query_row(
                "SELECT 1 FROM rejected_fact WHERE memory_id = ?1 AND kind = ?3 AND norm = ?2",
                params![memory, label.to_lowercase(), task.kind_text()],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    })
}

/// `extractor` of a mention the learned tagger proposed (the rules write their version, 1…):
/// a machine mention, so reading the memory again replaces it like the rules' own.
pub(super) const TAGGER_EXTRACTOR: i64 = 1000;

/// Proposes `entity` (an emotion, or an event for topics) over the whole of `segment` (of
/// `memory`), inferred at `confidence`, with the fact's `detail` JSON.
pub(super) fn propose(
    graph: &MemoryGraph,
    memory: i64,
    segment: i64,
    text: &str,
    entity: i64,
    confidence: f64,
    detail: &str,
) -> Result<(), LearnError> {
    let chars = text.chars().count() as i64;
    graph.database().write(|tx| {
        tx.execute("UPDATE entity SET extracted = 1 WHERE id = ?1 AND status = 'inferred'", [entity])?;
        tx.execute(
            "INSERT INTO mention (entity_id, segment_id, memory_id, char_start, char_end, quote, confidence, \
             status, created_at_ms, detail, extractor) VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6, 'inferred', ?7, ?8, ?9)",
            params![
                entity,
                segment,
                memory,
                chars,
                text,
                confidence,
                crate::clock::now_ms(),
                detail,
                TAGGER_EXTRACTOR
            ],
        )?;
        Ok(())
    })
}
