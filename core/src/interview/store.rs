//! The interviewer's own rows: questions asked and answered, settings, sensitive topics and
//! suppressed prompts.

use super::{InterviewError, Question, ReasonKind};
use crate::graph::{MemoryGraph, MemoryId};
use rusqlite::{params, OptionalExtension, Row};

fn kind_text(kind: ReasonKind) -> String {
    serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

fn question_from_row(row: &Row<'_>) -> rusqlite::Result<Question> {
    let kind: String = row.get(4)?;
    Ok(Question {
        id: row.get(0)?,
        key: row.get(1)?,
        text: row.get(2)?,
        reason: row.get(3)?,
        reason_kind: serde_json::from_value(serde_json::Value::String(kind))
            .unwrap_or(ReasonKind::UniversalTopic),
        entity_id: row.get(5)?,
        memory_id: row.get(6)?,
        gentle: row.get(7)?,
    })
}

const COLUMNS: &str = "id, key, text, reason, reason_kind, entity_id, memory_id, gentle";

pub(crate) fn record_asked(
    graph: &MemoryGraph,
    mut q: Question,
    now_ms: i64,
) -> Result<Question, InterviewError> {
    graph.database().write(|tx| {
        tx.execute(
            "INSERT INTO interview_question (key, text, reason, reason_kind, entity_id, memory_id, gentle, asked_at_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![q.key, q.text, q.reason, kind_text(q.reason_kind), q.entity_id, q.memory_id, q.gentle, now_ms],
        )?;
        q.id = tx.last_insert_rowid();
        Ok::<_, InterviewError>(q)
    })
}

pub(crate) fn load_question(graph: &MemoryGraph, id: i64) -> Result<Question, InterviewError> {
    graph.database().read(|tx| {
        tx.query_row(
            &format!("SELECT {COLUMNS} FROM interview_question WHERE id = ?1"),
            [id],
            question_from_row,
        )
        .optional()?
        .ok_or(InterviewError::QuestionNotFound { id })
    })
}

pub(crate) fn link_answer(
    graph: &MemoryGraph,
    question: i64,
    memory: MemoryId,
    now_ms: i64,
) -> Result<(), InterviewError> {
    graph.database().write(|tx| {
        let changed = tx.execute(
            "UPDATE interview_question SET answer_memory_id = ?2, answered_at_ms = ?3 WHERE id = ?1",
            params![question, memory, now_ms],
        )?;
        if changed == 0 {
            return Err(InterviewError::QuestionNotFound { id: question });
        }
        Ok(())
    })
}

pub(crate) fn question_answered_by(
    graph: &MemoryGraph,
    memory: MemoryId,
) -> Result<Option<Question>, InterviewError> {
    graph.database().read(|tx| {
        Ok(tx
            .query_row(
                &format!("SELECT {COLUMNS} FROM interview_question WHERE answer_memory_id = ?1 ORDER BY id DESC LIMIT 1"),
                [memory],
                question_from_row,
            )
            .optional()?)
    })
}

/// Questions asked but never answered, oldest first.
pub(crate) fn unanswered(graph: &MemoryGraph) -> Result<Vec<(Question, i64)>, InterviewError> {
    graph.database().read(|tx| {
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT {COLUMNS}, asked_at_ms FROM interview_question \
             WHERE answer_memory_id IS NULL AND reason_kind <> 'pause' ORDER BY id"
        ))?;
        let rows = stmt.query_map([], |r| Ok((question_from_row(r)?, r.get(8)?)))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    })
}

pub(crate) fn set_setting(
    graph: &MemoryGraph,
    key: &str,
    value: &str,
) -> Result<(), InterviewError> {
    graph.database().write(|tx| {
        tx.execute(
            "INSERT INTO interview_setting (key, value) VALUES (?1, ?2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    })
}

pub(crate) fn setting(graph: &MemoryGraph, key: &str) -> Result<Option<String>, InterviewError> {
    graph.database().read(|tx| {
        Ok(tx
            .query_row("SELECT value FROM interview_setting WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    })
}

pub(crate) fn set_topic_sensitive(
    graph: &MemoryGraph,
    topic: &str,
    sensitive: bool,
) -> Result<(), InterviewError> {
    graph.database().write(|tx| {
        if sensitive {
            tx.execute(
                "INSERT OR IGNORE INTO sensitive_topic (topic, created_at_ms) VALUES (?1, ?2)",
                params![topic, crate::graph::now_ms()],
            )?;
        } else {
            tx.execute("DELETE FROM sensitive_topic WHERE topic = ?1", [topic])?;
        }
        Ok(())
    })
}

pub(crate) fn sensitive_topics(graph: &MemoryGraph) -> Result<Vec<String>, InterviewError> {
    graph.database().read(|tx| {
        let mut stmt = tx.prepare_cached("SELECT topic FROM sensitive_topic ORDER BY topic")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    })
}

pub(crate) fn suppress_prompt(graph: &MemoryGraph, key: &str) -> Result<(), InterviewError> {
    graph.database().write(|tx| {
        tx.execute(
            "INSERT OR IGNORE INTO suppressed_prompt (key, created_at_ms) VALUES (?1, ?2)",
            params![key, crate::graph::now_ms()],
        )?;
        Ok(())
    })
}

pub(crate) fn suppressed(graph: &MemoryGraph) -> Result<Vec<String>, InterviewError> {
    graph.database().read(|tx| {
        let mut stmt = tx.prepare_cached("SELECT key FROM suppressed_prompt")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    })
}
