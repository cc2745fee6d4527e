//! Outbox rows. Every state change is one transaction, so a kill leaves either the old state or
//! the new one.

use super::{ErasureReceipt, HeldReceipt, ItemState, OutboxError, OutboxItem, UploadReceipt};
use crate::consent::{Purpose, Subject};
use crate::graph::MemoryGraph;
use crate::seal::VerifyingKey;
use rusqlite::{params, OptionalExtension, Row, Transaction};

fn subject_parts(subject: Subject) -> (&'static str, i64) {
    match subject {
        Subject::Memory(id) => ("memory", id),
        Subject::Media(id) => ("media", id),
        Subject::Training => ("training", 0),
    }
}

fn subject_from(kind: &str, id: i64) -> Subject {
    match kind {
        "media" => Subject::Media(id),
        "training" => Subject::Training,
        _ => Subject::Memory(id),
    }
}

pub(super) fn new_upload_id() -> Result<String, OutboxError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| OutboxError::Internal { what: "randomness" })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

const ITEM_COLUMNS: &str =
    "i.id, i.upload_id, i.subject_kind, i.subject_id, i.purpose, i.consent_receipt_id, \
     i.state, i.sealed_bytes, i.attempts, i.next_attempt_at_ms, i.last_error, i.created_at_ms, \
     (SELECT COALESCE(SUM(MIN(i.part_bytes, i.sealed_bytes - (p.number - 1) * i.part_bytes)), 0) \
        FROM outbox_part p WHERE p.item_id = i.id)";

fn item_from_row(row: &Row<'_>) -> rusqlite::Result<OutboxItem> {
    let kind: String = row.get(2)?;
    let purpose: String = row.get(4)?;
    let state: String = row.get(6)?;
    let sealed: Option<i64> = row.get(7)?;
    let acked: i64 = row.get(12)?;
    Ok(OutboxItem {
        id: row.get(0)?,
        upload_id: row.get(1)?,
        subject: subject_from(&kind, row.get(3)?),
        purpose: Purpose::parse(&purpose).unwrap_or(Purpose::DeviceOnly),
        consent_receipt_id: row.get(5)?,
        state: ItemState::parse(&state),
        sealed_bytes: sealed.map(|b| b as u64),
        acked_bytes: acked.max(0) as u64,
        attempts: row.get::<_, i64>(8)?.clamp(0, u32::MAX as i64) as u32,
        next_attempt_at_ms: row.get(9)?,
        last_error: row.get(10)?,
        created_at_ms: row.get(11)?,
    })
}

pub(super) fn enqueue(
    graph: &MemoryGraph,
    subject: Subject,
    purpose: Purpose,
    consent_receipt_id: &str,
    recipients: Option<&str>,
    now_ms: i64,
) -> Result<OutboxItem, OutboxError> {
    let (kind, id) = subject_parts(subject);
    let upload_id = new_upload_id()?;
    let item_id = graph.database().write(|tx| {
        let waiting: Option<i64> = tx
            .query_row(
                "SELECT id FROM outbox_item WHERE subject_kind = ?1 AND subject_id = ?2 AND purpose = ?3 \
                 AND state IN ('queued', 'sealed') AND consent_receipt_id = ?4",
                params![kind, id, purpose.as_str(), consent_receipt_id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(existing) = waiting {
            return Ok::<_, OutboxError>(existing);
        }
        tx.execute(
            "INSERT INTO outbox_item (upload_id, subject_kind, subject_id, purpose, consent_receipt_id, state, \
             created_at_ms, updated_at_ms, recipients) VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6, ?6, ?7)",
            params![upload_id, kind, id, purpose.as_str(), consent_receipt_id, now_ms, recipients],
        )?;
        Ok(tx.last_insert_rowid())
    })?;
    item(graph, item_id)
}

/// Inside `tx`: queues model update `update_id` (a row of `learn_update`) for "AI training"
/// under grant `consent_receipt_id`. The item's subject is the training consent; its
/// `subject_id` names the update.
pub(crate) fn enqueue_training_in(
    tx: &Transaction<'_>,
    update_id: i64,
    consent_receipt_id: &str,
    now_ms: i64,
) -> Result<i64, OutboxError> {
    let upload_id = new_upload_id()?;
    tx.execute(
        "INSERT INTO outbox_item (upload_id, subject_kind, subject_id, purpose, consent_receipt_id, state, \
         created_at_ms, updated_at_ms) VALUES (?1, 'training', ?2, ?3, ?4, 'queued', ?5, ?5)",
        params![upload_id, update_id, Purpose::AiTraining.as_str(), consent_receipt_id, now_ms],
    )?;
    Ok(tx.last_insert_rowid())
}

/// The stored subject id of an item (for a training item: its update's row).
pub(super) fn subject_id(graph: &MemoryGraph, id: i64) -> Result<i64, OutboxError> {
    graph.database().read(|tx| {
        Ok::<_, OutboxError>(tx.query_row(
            "SELECT subject_id FROM outbox_item WHERE id = ?1",
            [id],
            |r| r.get(0),
        )?)
    })
}

/// The family recipients an item is sealed to (a share), or `None` (sealed to the enclave).
pub(super) fn recipients(graph: &MemoryGraph, id: i64) -> Result<Option<Vec<String>>, OutboxError> {
    let text: Option<String> = graph.database().read(|tx| {
        Ok::<_, OutboxError>(
            tx.query_row("SELECT recipients FROM outbox_item WHERE id = ?1", [id], |r| r.get(0))
                .optional()?
                .flatten(),
        )
    })?;
    text.map(|t| serde_json::from_str(&t).map_err(|_| OutboxError::Internal { what: "recipients" }))
        .transpose()
}

pub(super) fn item(graph: &MemoryGraph, id: i64) -> Result<OutboxItem, OutboxError> {
    graph
        .database()
        .read(|tx| {
            Ok::<_, OutboxError>(
                tx.query_row(
                    &format!("SELECT {ITEM_COLUMNS} FROM outbox_item i WHERE i.id = ?1"),
                    [id],
                    item_from_row,
                )
                .optional()?,
            )
        })?
        .ok_or(OutboxError::NotFound { id })
}

pub(super) fn items(graph: &MemoryGraph) -> Result<Vec<OutboxItem>, OutboxError> {
    graph.database().read(|tx| {
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT {ITEM_COLUMNS} FROM outbox_item i ORDER BY i.id DESC"
        ))?;
        let rows = stmt.query_map([], item_from_row)?;
        Ok::<_, OutboxError>(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    })
}

/// Items with work to do now, oldest first.
pub(super) fn due_items(graph: &MemoryGraph, now_ms: i64) -> Result<Vec<OutboxItem>, OutboxError> {
    graph.database().read(|tx| {
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT {ITEM_COLUMNS} FROM outbox_item i WHERE i.state IN ('queued', 'sealed') \
             AND i.next_attempt_at_ms <= ?1 ORDER BY i.id"
        ))?;
        let rows = stmt.query_map([now_ms], item_from_row)?;
        Ok::<_, OutboxError>(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    })
}

/// When the next waiting item or erasure is due, if any.
pub(super) fn next_due_ms(graph: &MemoryGraph) -> Result<Option<i64>, OutboxError> {
    graph.database().read(|tx| {
        Ok::<_, OutboxError>(tx.query_row(
            "SELECT MIN(t) FROM (SELECT next_attempt_at_ms AS t FROM outbox_item WHERE state IN ('queued', 'sealed') \
             UNION ALL SELECT next_attempt_at_ms FROM outbox_erasure WHERE state = 'pending')",
            [],
            |r| r.get(0),
        )?)
    })
}

/// The sealed file's name, hash, size, part size and epoch of a sealed item.
#[derive(Debug, Clone)]
pub(super) struct Sealed {
    pub file: String,
    pub sha256: String,
    pub bytes: u64,
    pub part_bytes: u64,
    pub epoch: u64,
}

pub(super) fn sealed(graph: &MemoryGraph, id: i64) -> Result<Option<Sealed>, OutboxError> {
    graph.database().read(|tx| {
        Ok::<_, OutboxError>(
            tx.query_row(
                "SELECT sealed_file, sealed_sha256, sealed_bytes, part_bytes, key_epoch FROM outbox_item \
                 WHERE id = ?1 AND state = 'sealed'",
                [id],
                |r| {
                    Ok(Sealed {
                        file: r.get(0)?,
                        sha256: r.get(1)?,
                        bytes: r.get::<_, i64>(2)? as u64,
                        part_bytes: r.get::<_, i64>(3)? as u64,
                        epoch: r.get::<_, i64>(4)? as u64,
                    })
                },
            )
            .optional()?,
        )
    })
}

/// Marks a queued item sealed. Refused (returns false) if the item left `queued` meanwhile,
/// e.g. because consent was revoked while it was being sealed.
pub(super) fn mark_sealed(
    graph: &MemoryGraph,
    id: i64,
    s: &Sealed,
    now_ms: i64,
) -> Result<bool, OutboxError> {
    graph.database().write(|tx| {
        let n = tx.execute(
            "UPDATE outbox_item SET state = 'sealed', sealed_file = ?2, sealed_sha256 = ?3, sealed_bytes = ?4, \
             part_bytes = ?5, key_epoch = ?6, updated_at_ms = ?7 WHERE id = ?1 AND state = 'queued'",
            params![id, s.file, s.sha256, s.bytes as i64, s.part_bytes as i64, s.epoch as i64, now_ms],
        )?;
        Ok::<_, OutboxError>(n == 1)
    })
}

/// Back to `queued` (the enclave retired the key it was sealed to): parts are forgotten.
pub(super) fn unseal(graph: &MemoryGraph, id: i64, now_ms: i64) -> Result<(), OutboxError> {
    graph.database().write(|tx| {
        tx.execute("DELETE FROM outbox_part WHERE item_id = ?1", [id])?;
        tx.execute(
            "UPDATE outbox_item SET state = 'queued', sealed_file = NULL, sealed_sha256 = NULL, sealed_bytes = NULL, \
             part_bytes = NULL, key_epoch = NULL, object_key = NULL, upload_id = ?3, updated_at_ms = ?2 \
             WHERE id = ?1 AND state = 'sealed'",
            params![id, now_ms, new_upload_id()?],
        )?;
        Ok::<_, OutboxError>(())
    })
}

pub(super) fn acked_parts(graph: &MemoryGraph, id: i64) -> Result<Vec<(u32, String)>, OutboxError> {
    graph.database().read(|tx| {
        let mut stmt = tx.prepare_cached(
            "SELECT number, etag FROM outbox_part WHERE item_id = ?1 ORDER BY number",
        )?;
        let rows = stmt.query_map([id], |r| Ok((r.get::<_, i64>(0)? as u32, r.get(1)?)))?;
        Ok::<_, OutboxError>(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    })
}

pub(super) fn ack_part(
    graph: &MemoryGraph,
    id: i64,
    number: u32,
    etag: &str,
    now_ms: i64,
) -> Result<(), OutboxError> {
    graph.database().write(|tx| {
        tx.execute(
            "INSERT OR REPLACE INTO outbox_part (item_id, number, etag, acked_at_ms) VALUES (?1, ?2, ?3, ?4)",
            params![id, number, etag, now_ms],
        )?;
        // Progress resets the backoff: the connection works.
        tx.execute("UPDATE outbox_item SET attempts = 0, last_error = NULL, ever_sent = 1 WHERE id = ?1", [id])?;
        Ok::<_, OutboxError>(())
    })
}

pub(super) fn set_object_key(graph: &MemoryGraph, id: i64, key: &str) -> Result<(), OutboxError> {
    graph.database().write(|tx| {
        tx.execute("UPDATE outbox_item SET object_key = ?2 WHERE id = ?1", params![id, key])?;
        Ok::<_, OutboxError>(())
    })
}

/// Stores the verified receipt and finishes the item (only if it is still `sealed`).
pub(super) fn mark_uploaded(
    graph: &MemoryGraph,
    id: i64,
    receipt: &str,
    now_ms: i64,
) -> Result<bool, OutboxError> {
    graph.database().write(|tx| {
        let n = tx.execute(
            "UPDATE outbox_item SET state = 'uploaded', receipt = ?2, last_error = NULL, updated_at_ms = ?3 \
             WHERE id = ?1 AND state IN ('sealed', 'cancelled')",
            params![id, receipt, now_ms],
        )?;
        Ok::<_, OutboxError>(n == 1)
    })
}

pub(super) fn record_failure(
    graph: &MemoryGraph,
    id: i64,
    error: &str,
    retry_at_ms: Option<i64>,
    now_ms: i64,
) -> Result<u32, OutboxError> {
    graph.database().write(|tx| {
        match retry_at_ms {
            Some(at) => tx.execute(
                "UPDATE outbox_item SET attempts = attempts + 1, next_attempt_at_ms = ?2, last_error = ?3, \
                 updated_at_ms = ?4 WHERE id = ?1",
                params![id, at, error, now_ms],
            )?,
            None => tx.execute(
                "UPDATE outbox_item SET state = 'failed', attempts = attempts + 1, last_error = ?2, \
                 updated_at_ms = ?3 WHERE id = ?1 AND state IN ('queued', 'sealed')",
                params![id, error, now_ms],
            )?,
        };
        let attempts: i64 = tx.query_row("SELECT attempts FROM outbox_item WHERE id = ?1", [id], |r| r.get(0))?;
        Ok::<_, OutboxError>(attempts.max(0) as u32)
    })
}

pub(super) fn attempts(graph: &MemoryGraph, table: &str, id: i64) -> Result<u32, OutboxError> {
    graph.database().read(|tx| {
        let n: i64 =
            tx.query_row(&format!("SELECT attempts FROM {table} WHERE id = ?1"), [id], |r| {
                r.get(0)
            })?;
        Ok::<_, OutboxError>(n.max(0) as u32)
    })
}

pub(super) fn setting(graph: &MemoryGraph, key: &str) -> Result<Option<String>, OutboxError> {
    graph.database().read(|tx| {
        Ok::<_, OutboxError>(
            tx.query_row("SELECT value FROM outbox_setting WHERE key = ?1", [key], |r| r.get(0))
                .optional()?,
        )
    })
}

pub(super) fn set_setting(graph: &MemoryGraph, key: &str, value: &str) -> Result<(), OutboxError> {
    graph.database().write(|tx| {
        tx.execute(
            "INSERT OR REPLACE INTO outbox_setting (key, value) VALUES (?1, ?2)",
            params![key, value],
        )?;
        Ok::<_, OutboxError>(())
    })
}

/// Raises the highest accepted enclave key epoch (never lowers it).
pub(super) fn raise_epoch(graph: &MemoryGraph, epoch: u64) -> Result<(), OutboxError> {
    graph.database().write(|tx| {
        tx.execute(
            "INSERT INTO outbox_setting (key, value) VALUES ('highest_epoch', ?1) \
             ON CONFLICT (key) DO UPDATE SET value = ?1 WHERE CAST(value AS INTEGER) < CAST(?1 AS INTEGER)",
            [epoch.to_string()],
        )?;
        Ok::<_, OutboxError>(())
    })
}

/// Inside the revocation's transaction: cancels unfinished items under `grant_id`; returns
/// their sealed files to delete once committed.
pub(crate) fn cancel_under_in(
    tx: &Transaction<'_>,
    grant_id: &str,
    now_ms: i64,
) -> rusqlite::Result<Vec<String>> {
    let files: Vec<String> = {
        let mut stmt = tx.prepare_cached(
            "SELECT sealed_file FROM outbox_item WHERE consent_receipt_id = ?1 AND state IN ('queued', 'sealed') \
             AND sealed_file IS NOT NULL",
        )?;
        let rows = stmt.query_map([grant_id], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    tx.execute(
        "UPDATE outbox_item SET state = 'cancelled', updated_at_ms = ?2 \
         WHERE consent_receipt_id = ?1 AND state IN ('queued', 'sealed')",
        params![grant_id, now_ms],
    )?;
    Ok(files)
}

/// Inside the revocation's transaction: an erasure request, if any item under `grant_id` may
/// have reached the store (uploaded, or with at least one acknowledged part).
pub(crate) fn queue_erasure_in(
    tx: &Transaction<'_>,
    grant_id: &str,
    revocation_id: &str,
    now_ms: i64,
) -> rusqlite::Result<bool> {
    let sent: i64 = tx.query_row(
        "SELECT COUNT(*) FROM outbox_item i WHERE i.consent_receipt_id = ?1 AND (i.state = 'uploaded' \
         OR i.ever_sent = 1 OR i.object_key IS NOT NULL)",
        [grant_id],
        |r| r.get(0),
    )?;
    if sent == 0 {
        return Ok(false);
    }
    tx.execute(
        "INSERT OR IGNORE INTO outbox_erasure (consent_receipt_id, revocation_receipt_id, state, created_at_ms, \
         updated_at_ms) VALUES (?1, ?2, 'pending', ?3, ?3)",
        params![grant_id, revocation_id, now_ms],
    )?;
    Ok(true)
}

/// A pending erasure: its id, the grant and revocation receipt ids, and the uploads under it.
#[derive(Debug, Clone)]
pub(super) struct PendingErasure {
    pub id: i64,
    pub revocation_receipt_id: String,
    pub upload_ids: Vec<String>,
}

pub(super) fn due_erasures(
    graph: &MemoryGraph,
    now_ms: i64,
) -> Result<Vec<PendingErasure>, OutboxError> {
    graph.database().read(|tx| {
        let mut stmt = tx.prepare_cached(
            "SELECT id, consent_receipt_id, revocation_receipt_id FROM outbox_erasure \
             WHERE state = 'pending' AND next_attempt_at_ms <= ?1 ORDER BY id",
        )?;
        let rows: Vec<(i64, String, String)> = stmt
            .query_map([now_ms], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = Vec::new();
        for (id, grant, revocation) in rows {
            let mut ids = tx.prepare_cached(
                "SELECT upload_id FROM outbox_item WHERE consent_receipt_id = ?1 ORDER BY id",
            )?;
            let upload_ids = ids
                .query_map([&grant], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            out.push(PendingErasure { id, revocation_receipt_id: revocation, upload_ids });
        }
        Ok::<_, OutboxError>(out)
    })
}

pub(super) fn erasure_done(
    graph: &MemoryGraph,
    id: i64,
    receipt: &str,
    upload_ids: &[String],
    now_ms: i64,
) -> Result<(), OutboxError> {
    graph.database().write(|tx| {
        tx.execute(
            "UPDATE outbox_erasure SET state = 'done', receipt = ?2, last_error = NULL, updated_at_ms = ?3 WHERE id = ?1",
            params![id, receipt, now_ms],
        )?;
        for upload_id in upload_ids {
            tx.execute(
                "UPDATE outbox_item SET state = 'erased', updated_at_ms = ?2 WHERE upload_id = ?1 \
                 AND state IN ('uploaded', 'cancelled')",
                params![upload_id, now_ms],
            )?;
        }
        Ok::<_, OutboxError>(())
    })
}

/// Records a failed erasure attempt: retried at `retry_at_ms`, or failed for good when `None`.
pub(super) fn erasure_failed(
    graph: &MemoryGraph,
    id: i64,
    error: &str,
    retry_at_ms: Option<i64>,
    now_ms: i64,
) -> Result<(), OutboxError> {
    graph.database().write(|tx| {
        let state = if retry_at_ms.is_some() { "pending" } else { "failed" };
        tx.execute(
            "UPDATE outbox_erasure SET attempts = attempts + 1, next_attempt_at_ms = ?2, last_error = ?3, \
             updated_at_ms = ?4, state = ?5 WHERE id = ?1",
            params![id, retry_at_ms.unwrap_or(now_ms), error, now_ms, state],
        )?;
        Ok::<_, OutboxError>(())
    })
}

pub(super) fn erasures(graph: &MemoryGraph) -> Result<Vec<super::ErasureStatus>, OutboxError> {
    graph.database().read(|tx| {
        let mut stmt = tx.prepare_cached(
            "SELECT id, consent_receipt_id, revocation_receipt_id, state, attempts, next_attempt_at_ms, \
             last_error, created_at_ms, updated_at_ms FROM outbox_erasure ORDER BY id DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            let state = match r.get::<_, String>(3)?.as_str() {
                "done" => super::ErasureState::Done,
                "failed" => super::ErasureState::Failed,
                _ => super::ErasureState::Pending,
            };
            Ok(super::ErasureStatus {
                id: r.get(0)?,
                consent_receipt_id: r.get(1)?,
                revocation_receipt_id: r.get(2)?,
                state,
                attempts: r.get(4)?,
                next_attempt_at_ms: r.get(5)?,
                last_error: r.get(6)?,
                created_at_ms: r.get(7)?,
                updated_at_ms: r.get(8)?,
            })
        })?;
        Ok::<_, OutboxError>(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    })
}

pub(super) fn retry_erasure(
    graph: &MemoryGraph,
    id: i64,
    now_ms: i64,
) -> Result<bool, OutboxError> {
    graph.database().write(|tx| {
        let changed = tx.execute(
            "UPDATE outbox_erasure SET state = 'pending', next_attempt_at_ms = ?2, updated_at_ms = ?2 \
             WHERE id = ?1 AND state = 'failed'",
            params![id, now_ms],
        )?;
        Ok::<_, OutboxError>(changed == 1)
    })
}

/// Sealed files of items that no longer need them (finished, cancelled, failed).
pub(super) fn finished_files(graph: &MemoryGraph) -> Result<Vec<String>, OutboxError> {
    graph.database().read(|tx| {
        let mut stmt = tx.prepare_cached(
            "SELECT sealed_file FROM outbox_item WHERE state NOT IN ('queued', 'sealed') AND sealed_file IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok::<_, OutboxError>(rows.collect::<rusqlite::Result<Vec<String>>>()?)
    })
}

pub(super) fn receipts(
    graph: &MemoryGraph,
    pinned: &[VerifyingKey],
) -> Result<Vec<HeldReceipt>, OutboxError> {
    let rows: Vec<(i64, String, i64, String, Option<String>)> = graph.database().read(|tx| {
        let mut stmt = tx.prepare_cached(
            "SELECT i.id, i.subject_kind, i.subject_id, i.receipt, \
             (SELECT e.receipt FROM outbox_erasure e WHERE e.consent_receipt_id = i.consent_receipt_id \
              AND e.state = 'done' ORDER BY e.id DESC LIMIT 1) \
             FROM outbox_item i WHERE i.receipt IS NOT NULL ORDER BY i.id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?;
        Ok::<_, OutboxError>(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    })?;
    let parse = |text: &str| -> Result<serde_json::Value, OutboxError> {
        serde_json::from_str(text)
            .map_err(|_| OutboxError::ReceiptMismatch { what: "stored receipt" })
    };
    let mut out = Vec::new();
    for (item_id, kind, subject_id, upload, erasure) in rows {
        let upload_document = parse(&upload)?;
        let upload =
            UploadReceipt::verify(&upload_document, pinned).map_err(OutboxError::Enclave)?;
        let (erasure, erasure_document) = match erasure {
            Some(text) => {
                let doc = parse(&text)?;
                let receipt = ErasureReceipt::verify(&doc, pinned).map_err(OutboxError::Enclave)?;
                let covers = receipt.upload_ids.contains(&upload.upload_id);
                if covers {
                    (Some(receipt), Some(doc))
                } else {
                    (None, None)
                }
            }
            None => (None, None),
        };
        out.push(HeldReceipt {
            item_id,
            subject: subject_from(&kind, subject_id),
            upload,
            upload_document,
            erasure,
            erasure_document,
        });
    }
    Ok(out)
}
