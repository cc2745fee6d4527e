//! Transcript segments: adding them, reading them, and the owner's corrections. A correction is
//! kept apart from the machine text; facts read from the old words follow them to their new
//! place in the corrected text, or are dropped when the words are gone.

use super::codec::{char_slice, check_confidence, check_text};
use super::memories::load_memory;
use super::model::*;
use super::{now_ms, GraphError, MemoryGraph};
use rusqlite::{params, OptionalExtension, Row, Transaction};

/// Longest segment text, in characters.
pub(crate) const MAX_SEGMENT_CHARS: usize = 20_000;

const SEGMENT_COLUMNS: &str =
    "id, memory_id, recording_id, ordinal, start_ms, end_ms, machine_text, confidence, user_text";

fn segment_from_row(row: &Row<'_>) -> rusqlite::Result<Segment> {
    Ok(Segment {
        id: row.get(0)?,
        memory_id: row.get(1)?,
        recording_id: row.get(2)?,
        ordinal: row.get(3)?,
        start_ms: row.get(4)?,
        end_ms: row.get(5)?,
        machine_text: row.get(6)?,
        confidence: row.get(7)?,
        user_text: row.get(8)?,
    })
}

pub(crate) fn load_segments(
    tx: &Transaction<'_>,
    memory: MemoryId,
) -> Result<Vec<Segment>, GraphError> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {SEGMENT_COLUMNS} FROM segment WHERE memory_id = ?1 ORDER BY ordinal"
    ))?;
    let rows = stmt.query_map([memory], segment_from_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

pub(crate) fn load_segment(tx: &Transaction<'_>, id: SegmentId) -> Result<Segment, GraphError> {
    tx.prepare_cached(&format!("SELECT {SEGMENT_COLUMNS} FROM segment WHERE id = ?1"))?
        .query_row([id], segment_from_row)
        .optional()?
        .ok_or(GraphError::NotFound { what: "segment", id })
}

fn check_segment(s: &NewSegment) -> Result<(), GraphError> {
    check_text(&s.text, "segment text", MAX_SEGMENT_CHARS)?;
    check_confidence(s.confidence)?;
    if s.start_ms < 0 || s.end_ms < s.start_ms {
        return Err(GraphError::invalid("segment times must satisfy 0 <= start_ms <= end_ms"));
    }
    Ok(())
}

/// Appends segments after the memory's last one. The caller holds the transaction.
pub(crate) fn insert_segments(
    tx: &Transaction<'_>,
    memory: MemoryId,
    recording: Option<RecordingId>,
    segments: &[NewSegment],
) -> Result<Vec<SegmentId>, GraphError> {
    for s in segments {
        check_segment(s)?;
    }
    let first: i64 = tx.query_row(
        "SELECT coalesce(max(ordinal) + 1, 0) FROM segment WHERE memory_id = ?1",
        [memory],
        |r| r.get(0),
    )?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO segment (memory_id, recording_id, ordinal, start_ms, end_ms, machine_text, \
         confidence) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut ids = Vec::with_capacity(segments.len());
    for (ordinal, s) in (first..).zip(segments) {
        stmt.execute(params![
            memory,
            recording,
            ordinal,
            s.start_ms,
            s.end_ms,
            s.text,
            s.confidence
        ])?;
        ids.push(tx.last_insert_rowid());
    }
    Ok(ids)
}

impl MemoryGraph {
    /// Appends transcript segments to a memory (optionally from one recording), in one
    /// transaction: all are added or none.
    pub fn add_segments(
        &self,
        memory: MemoryId,
        recording: Option<RecordingId>,
        segments: &[NewSegment],
    ) -> Result<Vec<Segment>, GraphError> {
        for s in segments {
            check_segment(s)?;
        }
        let added = self.db.write(|tx| {
            load_memory(tx, memory)?;
            if let Some(rec) = recording {
                let owner: Option<i64> = tx
                    .query_row("SELECT memory_id FROM recording WHERE id = ?1", [rec], |r| r.get(0))
                    .optional()?;
                if owner != Some(memory) {
                    return Err(GraphError::NotFound { what: "recording", id: rec });
                }
            }
            let ids = insert_segments(tx, memory, recording, segments)?;
            tx.execute(
                "UPDATE memory SET updated_at_ms = ?2 WHERE id = ?1",
                params![memory, now_ms()],
            )?;
            ids.into_iter().map(|id| load_segment(tx, id)).collect::<Result<Vec<_>, GraphError>>()
        })?;
        self.understand(memory)?;
        // Extraction changes no text: the segments read above still stand, but re-read them
        // so valence and ids are current.
        let ids: Vec<SegmentId> = added.iter().map(|s| s.id).collect();
        self.db.read(|tx| ids.iter().map(|id| load_segment(tx, *id)).collect())
    }

    /// A memory's segments in order.
    pub fn segments(&self, memory: MemoryId) -> Result<Vec<Segment>, GraphError> {
        self.db.read(|tx| {
            load_memory(tx, memory)?;
            load_segments(tx, memory)
        })
    }

    /// Sets (or with `None`, clears) the owner's correction of a segment. Mentions and relation
    /// provenance in the segment move with their words, or are dropped if the words are gone.
    pub fn edit_segment(
        &self,
        id: SegmentId,
        user_text: Option<&str>,
    ) -> Result<Segment, GraphError> {
        if let Some(text) = user_text {
            check_text(text, "segment text", MAX_SEGMENT_CHARS)?;
        }
        self.db
            .write(|tx| {
                let before = load_segment(tx, id)?;
                let old_text = before.text().to_owned();
                tx.execute(
                    "UPDATE segment SET user_text = ?2, edited_at_ms = ?3 WHERE id = ?1",
                    params![id, user_text, user_text.map(|_| now_ms())],
                )?;
                let after = load_segment(tx, id)?;
                relocate_facts(tx, id, &old_text, after.text())?;
                Ok::<_, GraphError>(after)
            })
            .and_then(|after| {
                self.understand(after.memory_id)?;
                Ok(after)
            })
    }
}

/// Character span of the whole-word occurrence of `quote` in `text` nearest to `old_start`.
pub(crate) fn find_quote(text: &str, quote: &str, old_start: u32) -> Option<(u32, u32)> {
    let quote_chars = quote.chars().count() as u32;
    let is_word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let (mut best, mut counted_bytes, mut counted_chars) = (None::<u32>, 0usize, 0u32);
    for (byte, _) in text.match_indices(quote) {
        counted_chars += text[counted_bytes..byte].chars().count() as u32;
        counted_bytes = byte;
        let before = text[..byte].chars().next_back();
        let after = text[byte + quote.len()..].chars().next();
        let starts_word =
            !(is_word(before) && quote.chars().next().is_some_and(char::is_alphanumeric));
        let ends_word =
            !(is_word(after) && quote.chars().next_back().is_some_and(char::is_alphanumeric));
        if starts_word
            && ends_word
            && best.is_none_or(|b| counted_chars.abs_diff(old_start) < b.abs_diff(old_start))
        {
            best = Some(counted_chars);
        }
    }
    best.map(|start| (start, start + quote_chars))
}

fn relocate_facts(
    tx: &Transaction<'_>,
    segment: SegmentId,
    old: &str,
    new: &str,
) -> Result<(), GraphError> {
    if old == new {
        return Ok(());
    }
    let spans = |sql: &str| -> Result<Vec<(i64, u32, u32)>, GraphError> {
        let mut stmt = tx.prepare(sql)?;
        let rows = stmt.query_map([segment], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    };
    for (mention, start, end) in
        spans("SELECT id, char_start, char_end FROM mention WHERE segment_id = ?1 ORDER BY id")?
    {
        let moved = char_slice(old, start, end).and_then(|quote| find_quote(new, quote, start));
        match moved {
            Some((s, e)) => {
                // Two mentions of one entity can land on the same words: keep one.
                let duplicate: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM mention o JOIN mention m ON m.id = ?1 \
                     WHERE o.id <> m.id AND o.entity_id = m.entity_id AND o.segment_id = ?4 \
                     AND o.char_start = ?2 AND o.char_end = ?3)",
                    params![mention, s, e, segment],
                    |r| r.get(0),
                )?;
                if duplicate {
                    tx.execute("DELETE FROM mention WHERE id = ?1", [mention])?
                } else {
                    tx.execute(
                        "UPDATE mention SET char_start = ?2, char_end = ?3 WHERE id = ?1",
                        params![mention, s, e],
                    )?
                }
            }
            None => tx.execute("DELETE FROM mention WHERE id = ?1", [mention])?,
        };
    }
    for (relation, start, end) in
        spans("SELECT id, char_start, char_end FROM relation WHERE segment_id = ?1")?
    {
        let moved = char_slice(old, start, end).and_then(|quote| find_quote(new, quote, start));
        match moved {
            Some((s, e)) => tx.execute(
                "UPDATE relation SET char_start = ?2, char_end = ?3 WHERE id = ?1",
                params![relation, s, e],
            )?,
            // The owner confirmed it: keep the fact, lose only its provenance.
            None => {
                tx.execute(
                    "UPDATE relation SET segment_id = NULL, char_start = NULL, char_end = NULL \
                 WHERE id = ?1 AND status = 'confirmed'",
                    [relation],
                )? + tx.execute(
                    "DELETE FROM relation WHERE id = ?1 AND status = 'inferred'",
                    [relation],
                )?
            }
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::find_quote;

    #[test]
    fn quotes_move_to_whole_words_nearest_first() {
        assert_eq!(find_quote("Annette and Ann went", "Ann", 0), Some((12, 15)));
        assert_eq!(find_quote("Ann, Ann and Ann", "Ann", 6), Some((5, 8)));
        assert_eq!(find_quote("Annette", "Ann", 0), None);
        assert_eq!(find_quote("Zoë and 李明, 李明", "李明", 12), Some((12, 14)));
        assert_eq!(find_quote("Zoë and 李明, 李明", "李明", 9), Some((8, 10)));
    }
}
