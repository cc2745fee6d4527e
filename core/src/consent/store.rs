//! Consent rows: receipts appended verbatim, read back and re-verified.

use super::receipt::{self, ConsentReceipt, ReceiptKind};
use super::{ConsentError, GivenBy, Purpose, Subject};
use crate::graph::MemoryGraph;
use rusqlite::{params, OptionalExtension};

pub(super) fn require_subject(graph: &MemoryGraph, subject: Subject) -> Result<(), ConsentError> {
    let table = match subject {
        Subject::Memory(_) => "memory",
        Subject::Media(_) => "media",
        Subject::Training => return Ok(()),
    };
    let found: Option<i64> = graph.database().read(|tx| {
        let sql = format!("SELECT id FROM {table} WHERE id = ?1");
        Ok::<_, ConsentError>(tx.query_row(&sql, [subject.id()], |r| r.get(0)).optional()?)
    })?;
    found
        .map(|_| ())
        .ok_or(ConsentError::SubjectNotFound { kind: subject.kind(), id: subject.id() })
}

pub(super) fn append(graph: &MemoryGraph, r: &ConsentReceipt) -> Result<(), ConsentError> {
    graph.database().write(|tx| append_in(tx, r))
}

pub(super) fn append_in(
    tx: &rusqlite::Transaction<'_>,
    r: &ConsentReceipt,
) -> Result<(), ConsentError> {
    let kind = match r.kind {
        ReceiptKind::Grant => "grant",
        ReceiptKind::Revocation => "revocation",
    };
    let given_by = match r.given_by {
        GivenBy::Owner => "owner",
        GivenBy::Proxy { .. } => "proxy",
    };
    {
        tx.execute(
            "INSERT INTO consent_record (receipt_id, kind, subject_kind, subject_id, purpose, revokes, \
             given_at_ms, expires_at_ms, given_by, signer, document) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                r.receipt_id,
                kind,
                r.subject.kind(),
                r.subject.id(),
                r.purpose.as_str(),
                r.revokes,
                r.given_at_ms,
                r.expires_at_ms,
                given_by,
                r.signer.to_string(),
                r.to_json(),
            ],
        )?;
        Ok(())
    }
}

/// Re-verifies a stored document: a row edited behind the app's back fails here.
fn load(
    document: &str,
    subject_kind: &str,
    subject_id: i64,
) -> Result<ConsentReceipt, ConsentError> {
    let doc: serde_json::Value = serde_json::from_str(document)
        .map_err(|_| ConsentError::InvalidReceipt { what: "stored document" })?;
    let receipt = receipt::parse(&doc)?;
    if Subject::from_parts(subject_kind, subject_id) != Some(receipt.subject) {
        return Err(ConsentError::InvalidReceipt { what: "stored subject" });
    }
    Ok(receipt)
}

/// The newest grant no revocation names; with `live_at_ms`, only one that has not run out then.
pub(super) fn newest_grant(
    graph: &MemoryGraph,
    subject: Subject,
    purpose: Purpose,
    live_at_ms: Option<i64>,
) -> Result<Option<ConsentReceipt>, ConsentError> {
    let row: Option<(String, String, i64)> = graph.database().read(|tx| {
        tx.query_row(
            "SELECT g.document, g.subject_kind, g.subject_id FROM consent_record g \
             WHERE g.kind = 'grant' AND g.subject_kind = ?1 AND g.subject_id = ?2 AND g.purpose = ?3 \
               AND (?4 IS NULL OR g.expires_at_ms IS NULL OR g.expires_at_ms > ?4) \
               AND NOT EXISTS (SELECT 1 FROM consent_record r WHERE r.revokes = g.receipt_id) \
             ORDER BY g.seq DESC LIMIT 1",
            params![subject.kind(), subject.id(), purpose.as_str(), live_at_ms],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(ConsentError::from)
    })?;
    row.map(|(doc, kind, id)| load(&doc, &kind, id)).transpose()
}

pub(super) fn history(
    graph: &MemoryGraph,
    subject: Option<Subject>,
) -> Result<Vec<ConsentReceipt>, ConsentError> {
    let rows: Vec<(String, String, i64)> = graph.database().read(|tx| {
        let (sql, kind, id) = match subject {
            Some(s) => (
                "SELECT document, subject_kind, subject_id FROM consent_record \
                 WHERE subject_kind = ?1 AND subject_id = ?2 ORDER BY seq",
                s.kind(),
                s.id(),
            ),
            None => (
                "SELECT document, subject_kind, subject_id FROM consent_record \
                 WHERE ?1 = ?1 AND ?2 = ?2 ORDER BY seq",
                "",
                0,
            ),
        };
        let mut stmt = tx.prepare_cached(sql)?;
        let rows = stmt.query_map(params![kind, id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok::<_, ConsentError>(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    })?;
    rows.iter().map(|(doc, kind, id)| load(doc, kind, *id)).collect()
}

pub(super) fn by_id(
    graph: &MemoryGraph,
    receipt_id: &str,
) -> Result<Option<ConsentReceipt>, ConsentError> {
    let row: Option<(String, String, i64)> = graph.database().read(|tx| {
        tx.query_row(
            "SELECT document, subject_kind, subject_id FROM consent_record WHERE receipt_id = ?1",
            [receipt_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(ConsentError::from)
    })?;
    row.map(|(doc, kind, id)| load(&doc, &kind, id)).transpose()
}
