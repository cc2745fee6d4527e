//! Read-side views: everything about one person (or any entity), the timeline of a life, and
//! coverage counts that later stages use to find gaps.

use super::entities::{load_entity, load_mentions_where, load_relations_of};
use super::memories::{memory_from_row, MEMORY_COLUMNS};
use super::model::*;
use super::{GraphError, MemoryGraph};
use serde::Serialize;

/// A window over a long list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Page {
    pub offset: u32,
    pub limit: u32,
}

impl Default for Page {
    fn default() -> Self {
        Self { offset: 0, limit: 100 }
    }
}

/// Which way a relation points from the viewed entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationDirection {
    /// The viewed entity is the subject ("Rosa married to Tom", viewing Rosa).
    Outgoing,
    /// The viewed entity is the object.
    Incoming,
}

/// A relation seen from one of its ends.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelationView {
    pub relation: Relation,
    pub direction: RelationDirection,
    pub other: Entity,
}

/// Everything the graph knows of one entity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntityView {
    pub entity: Entity,
    /// Memories that mention it, in timeline order.
    pub memories: Vec<Memory>,
    pub mentions: Vec<Mention>,
    pub relations: Vec<RelationView>,
}

/// A life in order: dated memories by when they happened, then the undated ones apart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timeline {
    pub dated: Vec<Memory>,
    pub undated: Vec<Memory>,
    pub dated_total: u32,
    pub undated_total: u32,
}

/// How many entities of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KindCount {
    pub kind: EntityKind,
    pub count: u32,
}

/// Counts of what the graph holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Coverage {
    pub memories: u32,
    pub dated_memories: u32,
    pub undated_memories: u32,
    pub segments: u32,
    pub mentions: u32,
    pub relations: u32,
    pub entities: Vec<KindCount>,
    /// Memories per decade (by the decade their date starts in), ascending.
    pub memories_by_decade: Vec<DecadeCount>,
}

/// How many memories start in one decade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DecadeCount {
    /// First year of the decade (1960 for the sixties).
    pub decade: i32,
    pub count: u32,
}

/// Timeline order (served by the `memory_timeline` index).
const TIMELINE_ORDER: &str = "about_sort, about_to, told_at_ms, id";

/// The timeline order of [`TIMELINE_ORDER`], undated last, computed from a loaded memory.
fn timeline_key(m: &Memory) -> (bool, i64, i64, i64, i64) {
    let about = super::codec::encode_about(m.about_when).ok();
    let sort = about.as_ref().and_then(|a| a.sort);
    let to = about.as_ref().and_then(|a| a.to).unwrap_or(0);
    (sort.is_none(), sort.unwrap_or(0), to, m.told_at_ms, m.id)
}

impl MemoryGraph {
    /// Everything about an entity: its memories, mentions and relations.
    pub fn entity_view(&self, id: EntityId) -> Result<EntityView, GraphError> {
        self.db.read(|tx| {
            let entity = load_entity(tx, id)?;
            let mentions = load_mentions_where(tx, "entity_id = ?1", entity.id)?;
            let memories = {
                // Sorted here: SQLite's sorter would copy every whole row (a third of the time).
                let mut stmt = tx.prepare_cached(&format!(
                    "SELECT {MEMORY_COLUMNS} FROM memory WHERE id IN \
                     (SELECT memory_id FROM mention WHERE entity_id = ?1)"
                ))?;
                let rows = stmt.query_map([entity.id], memory_from_row)?;
                let mut memories = rows.collect::<Result<Vec<_>, _>>()?;
                memories.sort_by_cached_key(timeline_key);
                memories
            };
            let mut relations = Vec::new();
            for relation in load_relations_of(tx, entity.id)? {
                let (direction, other) = if relation.subject_id == entity.id {
                    (RelationDirection::Outgoing, relation.object_id)
                } else {
                    (RelationDirection::Incoming, relation.subject_id)
                };
                let other = super::entities::load_entity_row(tx, other)?;
                relations.push(RelationView { relation, direction, other });
            }
            Ok(EntityView { entity, memories, mentions, relations })
        })
    }

    /// A person's view; fails with `InvalidInput` if the entity is not a person.
    pub fn person_view(&self, id: EntityId) -> Result<EntityView, GraphError> {
        let view = self.entity_view(id)?;
        if view.entity.kind != EntityKind::Person {
            return Err(GraphError::invalid("entity is not a person"));
        }
        Ok(view)
    }

    /// The timeline, one page of each list.
    pub fn timeline(&self, page: Page) -> Result<Timeline, GraphError> {
        self.db.read(|tx| {
            let list = |condition: &str, order: &str| -> Result<Vec<Memory>, GraphError> {
                let mut stmt = tx.prepare_cached(&format!(
                    "SELECT {MEMORY_COLUMNS} FROM memory WHERE {condition} ORDER BY {order} \
                     LIMIT ?1 OFFSET ?2"
                ))?;
                let rows = stmt.query_map([page.limit, page.offset], memory_from_row)?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            };
            let dated = list("about_sort IS NOT NULL", TIMELINE_ORDER)?;
            let undated = list("about_sort IS NULL", "told_at_ms, id")?;
            let (dated_total, undated_total) = tx.query_row(
                "SELECT count(about_precision), count(*) - count(about_precision) FROM memory",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok(Timeline { dated, undated, dated_total, undated_total })
        })
    }

    /// Counts of memories, facts and entities.
    pub fn coverage(&self) -> Result<Coverage, GraphError> {
        self.db.read(|tx| {
            let count =
                |sql: &str| -> Result<u32, GraphError> { Ok(tx.query_row(sql, [], |r| r.get(0))?) };
            let memories = count("SELECT count(*) FROM memory")?;
            let dated_memories =
                count("SELECT count(*) FROM memory WHERE about_precision IS NOT NULL")?;
            let mut entities = Vec::new();
            for kind in EntityKind::ALL {
                let n: u32 = tx.query_row(
                    "SELECT count(*) FROM entity WHERE kind = ?1 AND merged_into IS NULL",
                    [kind],
                    |r| r.get(0),
                )?;
                entities.push(KindCount { kind, count: n });
            }
            let memories_by_decade = {
                let mut stmt = tx.prepare_cached(
                    "SELECT (about_from / 100000) * 10 AS decade, count(*) FROM memory \
                     WHERE about_from IS NOT NULL GROUP BY decade ORDER BY decade",
                )?;
                let rows = stmt
                    .query_map([], |r| Ok(DecadeCount { decade: r.get(0)?, count: r.get(1)? }))?;
                rows.collect::<Result<Vec<_>, _>>()?
            };
            Ok(Coverage {
                memories,
                dated_memories,
                undated_memories: memories - dated_memories,
                segments: count("SELECT count(*) FROM segment")?,
                mentions: count("SELECT count(*) FROM mention")?,
                relations: count("SELECT count(*) FROM relation")?,
                entities,
                memories_by_decade,
            })
        })
    }
}
