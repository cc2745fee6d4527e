//! Entity merges: "Grandma Rosa", "Rosa" and "my grandmother" become one person when the owner
//! agrees. A proposal is accepted, rejected, or — once accepted — undone. Accepting records
//! exactly what it moved (ids only) so undo puts back that and nothing else.

use super::codec::check_confidence;
use super::entities::{insert_alias, load_entity_row, require_live};
use super::model::*;
use super::{now_ms, GraphError, MemoryGraph};
use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde::{Deserialize, Serialize};

/// Where a proposal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MergeState {
    Proposed,
    Accepted,
    Rejected,
    Undone,
}

impl MergeState {
    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::Undone => "undone",
        }
    }

    /// Parses the stable text form.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Proposed, Self::Accepted, Self::Rejected, Self::Undone]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// A proposal to merge `merge` into `keep`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MergeProposal {
    pub id: MergeProposalId,
    /// The entity that stays.
    pub keep: Entity,
    /// The entity folded into `keep`.
    pub merge: Entity,
    /// How sure the proposer is, 0..=1.
    pub score: f64,
    pub state: MergeState,
}

/// What accepting moved, by id.
#[derive(Debug, Default, Serialize, Deserialize)]
struct UndoLog {
    mentions: Vec<i64>,
    relation_subjects: Vec<i64>,
    relation_objects: Vec<i64>,
    aliases_added: Vec<i64>,
    media_places: Vec<i64>,
    attributes_before: EntityAttributes,
    attributes_after: EntityAttributes,
}

fn proposal_row(row: &Row<'_>) -> rusqlite::Result<(i64, i64, i64, f64, String, Option<String>)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?))
}

type ProposalRow = (i64, i64, i64, f64, MergeState, Option<String>);

fn load_proposal_row(tx: &Transaction<'_>, id: MergeProposalId) -> Result<ProposalRow, GraphError> {
    let row = tx
        .prepare_cached(
            "SELECT id, keep_id, merge_id, score, state, undo_log FROM merge_proposal WHERE id = ?1",
        )?
        .query_row([id], proposal_row)
        .optional()?
        .ok_or(GraphError::NotFound { what: "merge proposal", id })?;
    let state = MergeState::parse(&row.4)
        .ok_or(GraphError::Conflict { reason: "unknown proposal state" })?;
    Ok((row.0, row.1, row.2, row.3, state, row.5))
}

fn load_proposal(tx: &Transaction<'_>, id: MergeProposalId) -> Result<MergeProposal, GraphError> {
    let (id, keep, merge, score, state, _) = load_proposal_row(tx, id)?;
    Ok(MergeProposal {
        id,
        keep: load_entity_row(tx, keep)?,
        merge: load_entity_row(tx, merge)?,
        score,
        state,
    })
}

fn ids(tx: &Transaction<'_>, sql: &str, id: i64) -> Result<Vec<i64>, GraphError> {
    let mut stmt = tx.prepare_cached(sql)?;
    let rows = stmt.query_map([id], |r| r.get(0))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn set_state(
    tx: &Transaction<'_>,
    id: i64,
    state: MergeState,
    log: Option<&str>,
) -> Result<(), GraphError> {
    tx.execute(
        "UPDATE merge_proposal SET state = ?2, undo_log = coalesce(?3, undo_log), decided_at_ms = ?4 \
         WHERE id = ?1",
        params![id, state.as_str(), log, now_ms()],
    )?;
    Ok(())
}

fn write_attributes(tx: &Transaction<'_>, id: i64, a: &EntityAttributes) -> Result<(), GraphError> {
    tx.execute(
        "UPDATE entity SET relation_to_owner = ?2, birth_year = ?3, deceased = ?4, sensitive = ?5 \
         WHERE id = ?1",
        params![id, a.relation_to_owner, a.birth_year, a.deceased, a.sensitive],
    )?;
    Ok(())
}

/// Moves everything of `merge` onto `keep`; returns what moved.
fn fold_into(tx: &Transaction<'_>, keep: &Entity, merge: &Entity) -> Result<UndoLog, GraphError> {
    let mut log = UndoLog {
        mentions: ids(tx, "SELECT id FROM mention WHERE entity_id = ?1", merge.id)?,
        // Relations between the two stay with the merged entity: they would point at itself.
        relation_subjects: ids(tx, "SELECT id FROM relation WHERE subject_id = ?1", merge.id)?,
        relation_objects: ids(tx, "SELECT id FROM relation WHERE object_id = ?1", merge.id)?,
        media_places: ids(tx, "SELECT id FROM media WHERE place_entity_id = ?1", merge.id)?,
        attributes_before: keep.attributes.clone(),
        ..UndoLog::default()
    };
    let other_end =
        |sql: &str, rid: i64| -> rusqlite::Result<i64> { tx.query_row(sql, [rid], |r| r.get(0)) };
    let mut keep_subjects = Vec::new();
    for rid in log.relation_subjects.drain(..) {
        if other_end("SELECT object_id FROM relation WHERE id = ?1", rid)? != keep.id {
            keep_subjects.push(rid);
        }
    }
    log.relation_subjects = keep_subjects;
    let mut keep_objects = Vec::new();
    for rid in log.relation_objects.drain(..) {
        if other_end("SELECT subject_id FROM relation WHERE id = ?1", rid)? != keep.id {
            keep_objects.push(rid);
        }
    }
    log.relation_objects = keep_objects;

    for id in &log.mentions {
        tx.execute("UPDATE mention SET entity_id = ?2 WHERE id = ?1", [*id, keep.id])?;
    }
    for id in &log.relation_subjects {
        tx.execute("UPDATE relation SET subject_id = ?2 WHERE id = ?1", [*id, keep.id])?;
    }
    for id in &log.relation_objects {
        tx.execute("UPDATE relation SET object_id = ?2 WHERE id = ?1", [*id, keep.id])?;
    }
    for id in &log.media_places {
        tx.execute("UPDATE media SET place_entity_id = ?2 WHERE id = ?1", [*id, keep.id])?;
    }
    for name in std::iter::once(&merge.display_name).chain(&merge.aliases) {
        if super::codec::normalize_name(name) != super::codec::normalize_name(&keep.display_name) {
            log.aliases_added.extend(insert_alias(tx, keep.id, name)?);
        }
    }
    let (k, m) = (&keep.attributes, &merge.attributes);
    let after = EntityAttributes {
        relation_to_owner: k.relation_to_owner.clone().or_else(|| m.relation_to_owner.clone()),
        birth_year: k.birth_year.or(m.birth_year),
        deceased: k.deceased || m.deceased,
        sensitive: k.sensitive || m.sensitive,
    };
    write_attributes(tx, keep.id, &after)?;
    log.attributes_after = after;
    tx.execute("UPDATE entity SET merged_into = ?2 WHERE id = ?1", [merge.id, keep.id])?;
    Ok(log)
}

/// Reverses `fold_into` for the rows that still exist and still sit on `keep`.
fn unfold(
    tx: &Transaction<'_>,
    keep: &Entity,
    merge: EntityId,
    log: &UndoLog,
) -> Result<(), GraphError> {
    for id in &log.mentions {
        tx.execute(
            "UPDATE mention SET entity_id = ?3 WHERE id = ?1 AND entity_id = ?2",
            [*id, keep.id, merge],
        )?;
    }
    for id in &log.relation_subjects {
        tx.execute(
            "UPDATE relation SET subject_id = ?3 WHERE id = ?1 AND subject_id = ?2",
            [*id, keep.id, merge],
        )?;
    }
    for id in &log.relation_objects {
        tx.execute(
            "UPDATE relation SET object_id = ?3 WHERE id = ?1 AND object_id = ?2",
            [*id, keep.id, merge],
        )?;
    }
    for id in &log.media_places {
        tx.execute(
            "UPDATE media SET place_entity_id = ?3 WHERE id = ?1 AND place_entity_id = ?2",
            [*id, keep.id, merge],
        )?;
    }
    for id in &log.aliases_added {
        tx.execute("DELETE FROM entity_alias WHERE id = ?1 AND entity_id = ?2", [*id, keep.id])?;
    }
    // Put back only the attributes the merge changed and the owner has not changed since.
    let (now, before, after) = (&keep.attributes, &log.attributes_before, &log.attributes_after);
    let restored = EntityAttributes {
        relation_to_owner: if now.relation_to_owner == after.relation_to_owner {
            before.relation_to_owner.clone()
        } else {
            now.relation_to_owner.clone()
        },
        birth_year: if now.birth_year == after.birth_year {
            before.birth_year
        } else {
            now.birth_year
        },
        deceased: if now.deceased == after.deceased { before.deceased } else { now.deceased },
        sensitive: if now.sensitive == after.sensitive { before.sensitive } else { now.sensitive },
    };
    write_attributes(tx, keep.id, &restored)?;
    tx.execute("UPDATE entity SET merged_into = NULL WHERE id = ?1", [merge])?;
    Ok(())
}

impl MemoryGraph {
    /// Proposes merging `merge` into `keep` (two live entities of the same kind).
    pub fn propose_merge(
        &self,
        keep: EntityId,
        merge: EntityId,
        score: f64,
    ) -> Result<MergeProposal, GraphError> {
        check_confidence(score)?;
        if keep == merge {
            return Err(GraphError::invalid("cannot merge an entity with itself"));
        }
        self.db.write(|tx| {
            if require_live(tx, keep)? != require_live(tx, merge)? {
                return Err(GraphError::invalid("only entities of the same kind can merge"));
            }
            let open: Option<i64> = tx
                .query_row(
                    "SELECT id FROM merge_proposal WHERE state = 'proposed' AND \
                     ((keep_id = ?1 AND merge_id = ?2) OR (keep_id = ?2 AND merge_id = ?1))",
                    [keep, merge],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(id) = open {
                return load_proposal(tx, id);
            }
            tx.execute(
                "INSERT INTO merge_proposal (keep_id, merge_id, score, state, created_at_ms) \
                 VALUES (?1, ?2, ?3, 'proposed', ?4)",
                params![keep, merge, score, now_ms()],
            )?;
            load_proposal(tx, tx.last_insert_rowid())
        })
    }

    /// Proposals in `state` (all states when `None`), newest first.
    pub fn merge_proposals(
        &self,
        state: Option<MergeState>,
    ) -> Result<Vec<MergeProposal>, GraphError> {
        self.db.read(|tx| {
            let ids: Vec<i64> = {
                let mut stmt = tx.prepare_cached(
                    "SELECT id FROM merge_proposal WHERE ?1 IS NULL OR state = ?1 ORDER BY id DESC",
                )?;
                let rows = stmt.query_map([state.map(MergeState::as_str)], |r| r.get(0))?;
                rows.collect::<Result<Vec<_>, _>>()?
            };
            ids.into_iter().map(|id| load_proposal(tx, id)).collect()
        })
    }

    /// Accepts a proposal: the merged entity's mentions, relations, aliases and attributes move to
    /// the kept one. Returns the proposal as it now stands.
    pub fn accept_merge(&self, id: MergeProposalId) -> Result<MergeProposal, GraphError> {
        self.db.write(|tx| {
            let (_, keep, merge, _, state, _) = load_proposal_row(tx, id)?;
            if state != MergeState::Proposed {
                return Err(GraphError::Conflict { reason: "proposal is not open" });
            }
            require_live(tx, keep)?;
            require_live(tx, merge)?;
            let log = fold_into(tx, &load_entity_row(tx, keep)?, &load_entity_row(tx, merge)?)?;
            let json = serde_json::to_string(&log)
                .map_err(|_| GraphError::Conflict { reason: "undo log could not be written" })?;
            set_state(tx, id, MergeState::Accepted, Some(&json))?;
            load_proposal(tx, id)
        })
    }

    /// Rejects an open proposal.
    pub fn reject_merge(&self, id: MergeProposalId) -> Result<MergeProposal, GraphError> {
        self.db.write(|tx| {
            let (.., state, _) = load_proposal_row(tx, id)?;
            if state != MergeState::Proposed {
                return Err(GraphError::Conflict { reason: "proposal is not open" });
            }
            set_state(tx, id, MergeState::Rejected, None)?;
            load_proposal(tx, id)
        })
    }

    /// Undoes an accepted merge: both entities stand apart again with what each had.
    pub fn undo_merge(&self, id: MergeProposalId) -> Result<MergeProposal, GraphError> {
        self.db.write(|tx| {
            let (_, keep, merge, _, state, log) = load_proposal_row(tx, id)?;
            if state != MergeState::Accepted {
                return Err(GraphError::Conflict {
                    reason: "only an accepted merge can be undone",
                });
            }
            if require_live(tx, keep).is_err() {
                return Err(GraphError::Conflict {
                    reason: "the kept entity was merged again; undo that merge first",
                });
            }
            let later: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM merge_proposal WHERE keep_id = ?1 AND id > ?2 \
                 AND state = 'accepted')",
                [keep, id],
                |r| r.get(0),
            )?;
            if later {
                return Err(GraphError::Conflict {
                    reason: "a later merge into the same entity must be undone first",
                });
            }
            let log: UndoLog = log
                .as_deref()
                .and_then(|text| serde_json::from_str(text).ok())
                .ok_or(GraphError::Conflict { reason: "undo log is missing" })?;
            unfold(tx, &load_entity_row(tx, keep)?, merge, &log)?;
            set_state(tx, id, MergeState::Undone, None)?;
            load_proposal(tx, id)
        })
    }
}
