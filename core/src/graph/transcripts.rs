//! Transcripts into the graph. A recording's transcript is stored as its segments; transcribing
//! it again (a better model, later) replaces the machine text but never the owner's corrections:
//! a corrected segment stays as it is, and new segments whose middle falls inside it are not
//! added. Facts read from replaced segments follow their words into the new segments, or are
//! dropped (an owner-confirmed relation keeps the fact and loses only its provenance).

use super::codec::check_text;
use super::media::load_recording;
use super::model::*;
use super::segments::{find_quote, insert_segments, load_segments};
use super::{now_ms, GraphError, MemoryGraph};
use crate::graph::codec::char_slice;
use rusqlite::{params, Transaction};

impl MemoryGraph {
    /// Stores `segments` (times on the recording's time line) as the recording's transcript by
    /// `model` in `language`, replacing an earlier machine transcript and keeping the owner's
    /// corrections. Returns the memory's segments in order. All or nothing.
    pub fn store_transcript(
        &self,
        recording: RecordingId,
        model: &str,
        language: &str,
        segments: &[NewSegment],
    ) -> Result<Vec<Segment>, GraphError> {
        check_text(model, "model name", 64)?;
        check_text(language, "language", 16)?;
        self.db
            .write(|tx| {
                let rec = load_recording(tx, recording)?;
                let old: Vec<Segment> = load_segments(tx, rec.memory_id)?
                    .into_iter()
                    .filter(|s| s.recording_id == Some(recording))
                    .collect();
                let first_old_ordinal = old.first().map(|s| s.ordinal);
                let (edited, stale): (Vec<&Segment>, Vec<&Segment>) =
                    old.iter().partition(|s| s.user_text.is_some());
                let fresh: Vec<NewSegment> = segments
                    .iter()
                    .filter(|n| {
                        let mid = (n.start_ms + n.end_ms) / 2;
                        !edited.iter().any(|e| e.start_ms <= mid && mid <= e.end_ms)
                    })
                    .cloned()
                    .collect();
                let ids = insert_segments(tx, rec.memory_id, Some(recording), &fresh)?;
                let inserted: Vec<(i64, &NewSegment)> = ids.into_iter().zip(&fresh).collect();
                for s in &stale {
                    move_facts(tx, s, &inserted)?;
                    tx.execute("DELETE FROM segment WHERE id = ?1", [s.id])?;
                }
                renumber(tx, rec.memory_id, recording, first_old_ordinal)?;
                let now = now_ms();
                tx.execute(
                    "UPDATE recording SET transcript_model = ?2, transcript_language = ?3, \
                 transcribed_at_ms = ?4 WHERE id = ?1",
                    params![recording, model, language, now],
                )?;
                tx.execute(
                    "UPDATE memory SET updated_at_ms = ?2 WHERE id = ?1",
                    params![rec.memory_id, now],
                )?;
                Ok::<_, GraphError>(rec.memory_id)
            })
            .and_then(|memory| {
                self.understand(memory)?;
                self.db.read(|tx| load_segments(tx, memory))
            })
    }

    /// Recordings whose transcript is missing or by another model than `model`, oldest first:
    /// the work list of the background re-transcription queue.
    pub fn recordings_to_transcribe(
        &self,
        model: &str,
        limit: u32,
    ) -> Result<Vec<Recording>, GraphError> {
        self.db.read(|tx| {
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {} FROM recording WHERE transcript_model IS NOT ?1 ORDER BY id LIMIT ?2",
                super::media::RECORDING_COLUMNS
            ))?;
            let rows = stmt.query_map(params![model, limit], super::media::recording_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// A recording by id.
    pub fn recording(&self, id: RecordingId) -> Result<Recording, GraphError> {
        self.db.read(|tx| load_recording(tx, id))
    }
}

/// Moves the mentions and relation provenance of a replaced segment to the same words in the new
/// segments that overlap it in time.
fn move_facts(
    tx: &Transaction<'_>,
    old: &Segment,
    inserted: &[(i64, &NewSegment)],
) -> Result<(), GraphError> {
    let overlapping: Vec<&(i64, &NewSegment)> = inserted
        .iter()
        .filter(|(_, n)| n.start_ms <= old.end_ms && old.start_ms <= n.end_ms)
        .collect();
    let locate = |start: u32, end: u32| -> Option<(i64, u32, u32)> {
        let quote = char_slice(old.text(), start, end)?;
        overlapping
            .iter()
            .find_map(|(id, n)| find_quote(&n.text, quote, 0).map(|(s, e)| (*id, s, e)))
    };
    let spans = |sql: &str| -> Result<Vec<(i64, u32, u32)>, GraphError> {
        let mut stmt = tx.prepare(sql)?;
        let rows = stmt.query_map([old.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    };
    for (mention, start, end) in
        spans("SELECT id, char_start, char_end FROM mention WHERE segment_id = ?1 ORDER BY id")?
    {
        if let Some((segment, s, e)) = locate(start, end) {
            let duplicate: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM mention o JOIN mention m ON m.id = ?1 \
                 WHERE o.id <> m.id AND o.entity_id = m.entity_id AND o.segment_id = ?2 \
                 AND o.char_start = ?3 AND o.char_end = ?4)",
                params![mention, segment, s, e],
                |r| r.get(0),
            )?;
            if !duplicate {
                tx.execute(
                    "UPDATE mention SET segment_id = ?2, char_start = ?3, char_end = ?4 \
                     WHERE id = ?1",
                    params![mention, segment, s, e],
                )?;
            }
        }
    }
    for (relation, start, end) in
        spans("SELECT id, char_start, char_end FROM relation WHERE segment_id = ?1")?
    {
        match locate(start, end) {
            Some((segment, s, e)) => tx.execute(
                "UPDATE relation SET segment_id = ?2, char_start = ?3, char_end = ?4 \
                 WHERE id = ?1",
                params![relation, segment, s, e],
            )?,
            None => tx.execute(
                "UPDATE relation SET segment_id = NULL, char_start = NULL, char_end = NULL \
                 WHERE id = ?1 AND status = 'confirmed'",
                [relation],
            )?,
        };
    }
    // What did not move goes with the segment (inferred facts are derived again).
    Ok(())
}

/// Puts the recording's segments in time order, where its old transcript was among the
/// memory's other segments (typed text, other recordings), and numbers them all from 0.
fn renumber(
    tx: &Transaction<'_>,
    memory: MemoryId,
    recording: RecordingId,
    first_old_ordinal: Option<i64>,
) -> Result<(), GraphError> {
    let all = load_segments(tx, memory)?;
    let (mut mine, others): (Vec<&Segment>, Vec<&Segment>) =
        all.iter().partition(|s| s.recording_id == Some(recording));
    mine.sort_by_key(|s| (s.start_ms, s.end_ms, s.id));
    let at = match first_old_ordinal {
        Some(first) => others.iter().take_while(|s| s.ordinal < first).count(),
        None => others.len(),
    };
    let order: Vec<i64> =
        others[..at].iter().chain(mine.iter()).chain(others[at..].iter()).map(|s| s.id).collect();
    tx.execute("UPDATE segment SET ordinal = -1 - ordinal WHERE memory_id = ?1", [memory])?;
    let mut stmt = tx.prepare_cached("UPDATE segment SET ordinal = ?2 WHERE id = ?1")?;
    for (ordinal, id) in order.iter().enumerate() {
        stmt.execute(params![id, ordinal as i64])?;
    }
    Ok(())
}
