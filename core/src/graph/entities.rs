//! Entities (people, places, periods, events, emotions, topics), their aliases and attributes,
//! the mentions that tie them to transcript spans, and the relations between them.

use super::codec::{char_slice, check_confidence, check_text, normalize_name};
use super::model::*;
use super::segments::load_segment;
use super::{now_ms, GraphError, MemoryGraph};
use rusqlite::{params, OptionalExtension, Row, Transaction};

const MAX_NAME_CHARS: usize = 200;
const MAX_RELATION_CHARS: usize = 100;

/// A filter for listing entities.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntityQuery {
    pub kind: Option<EntityKind>,
    /// Matches display names and aliases, case-insensitively, by prefix of any word.
    pub name: Option<String>,
}

const ENTITY_COLUMNS: &str =
    "id, kind, display_name, relation_to_owner, birth_year, deceased, sensitive, status";

fn entity_from_row(row: &Row<'_>) -> rusqlite::Result<Entity> {
    Ok(Entity {
        id: row.get(0)?,
        kind: row.get(1)?,
        display_name: row.get(2)?,
        aliases: Vec::new(),
        attributes: EntityAttributes {
            relation_to_owner: row.get(3)?,
            birth_year: row.get(4)?,
            deceased: row.get(5)?,
            sensitive: row.get(6)?,
        },
        status: row.get(7)?,
    })
}

fn load_aliases(tx: &Transaction<'_>, id: EntityId) -> Result<Vec<String>, GraphError> {
    let mut stmt =
        tx.prepare_cached("SELECT alias FROM entity_alias WHERE entity_id = ?1 ORDER BY id")?;
    let rows = stmt.query_map([id], |r| r.get(0))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Loads a live entity, following merges to the entity it now lives in.
pub(crate) fn load_entity(tx: &Transaction<'_>, id: EntityId) -> Result<Entity, GraphError> {
    let live: Option<i64> = tx
        .prepare_cached(
            "WITH RECURSIVE chain(id, next, depth) AS ( \
                 SELECT id, merged_into, 0 FROM entity WHERE id = ?1 \
                 UNION ALL SELECT e.id, e.merged_into, depth + 1 FROM entity e \
                 JOIN chain c ON e.id = c.next WHERE depth < 64) \
             SELECT id FROM chain WHERE next IS NULL",
        )?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let live = live.ok_or(GraphError::NotFound { what: "entity", id })?;
    load_entity_row(tx, live)
}

/// Loads an entity row as it is, merged or not.
pub(crate) fn load_entity_row(tx: &Transaction<'_>, id: EntityId) -> Result<Entity, GraphError> {
    let mut entity = tx
        .prepare_cached(&format!("SELECT {ENTITY_COLUMNS} FROM entity WHERE id = ?1"))?
        .query_row([id], entity_from_row)
        .optional()?
        .ok_or(GraphError::NotFound { what: "entity", id })?;
    entity.aliases = load_aliases(tx, id)?;
    Ok(entity)
}

/// Fails unless `id` is a live (not merged away) entity.
pub(crate) fn require_live(tx: &Transaction<'_>, id: EntityId) -> Result<EntityKind, GraphError> {
    let row: Option<(EntityKind, Option<i64>)> = tx
        .prepare_cached("SELECT kind, merged_into FROM entity WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match row {
        Some((kind, None)) => Ok(kind),
        Some((_, Some(_))) => {
            Err(GraphError::Conflict { reason: "entity was merged into another" })
        }
        None => Err(GraphError::NotFound { what: "entity", id }),
    }
}

/// Adds `alias` to an entity unless an equal one (after normalising) is there; returns the new
/// alias row id, if one was added.
pub(crate) fn insert_alias(
    tx: &Transaction<'_>,
    id: EntityId,
    alias: &str,
) -> Result<Option<i64>, GraphError> {
    let added = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO entity_alias (entity_id, alias, norm) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![id, alias.trim(), normalize_name(alias)])?;
    Ok((added == 1).then(|| tx.last_insert_rowid()))
}

fn check_attributes(attrs: &EntityAttributes) -> Result<(), GraphError> {
    if let Some(rel) = &attrs.relation_to_owner {
        check_text(rel, "relation to owner", MAX_RELATION_CHARS)?;
    }
    if let Some(year) = attrs.birth_year {
        if !super::codec::YEARS.contains(&year) {
            return Err(GraphError::invalid("birth year out of range 1000..=3000"));
        }
    }
    Ok(())
}

fn mention_from_row(row: &Row<'_>) -> rusqlite::Result<Mention> {
    Ok(Mention {
        id: row.get(0)?,
        entity_id: row.get(1)?,
        memory_id: row.get(2)?,
        span: Span { segment_id: row.get(3)?, char_start: row.get(4)?, char_end: row.get(5)? },
        quote: row.get(8)?,
        confidence: row.get(6)?,
        status: row.get(7)?,
    })
}

const MENTION_SELECT: &str = "SELECT id, entity_id, memory_id, segment_id, char_start, char_end, \
     confidence, status, quote FROM mention";

/// Mentions where `condition` (on `mention` columns, with `?1`) holds, in reading order.
pub(crate) fn load_mentions_where(
    tx: &Transaction<'_>,
    condition: &str,
    id: i64,
) -> Result<Vec<Mention>, GraphError> {
    let mut stmt = tx.prepare_cached(&format!(
        "{MENTION_SELECT} WHERE {condition} ORDER BY memory_id, segment_id, char_start"
    ))?;
    let rows = stmt.query_map([id], mention_from_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Validates and inserts one mention; the quote and memory come from the segment.
pub(crate) fn insert_mention(
    tx: &Transaction<'_>,
    m: &NewMention,
) -> Result<MentionId, GraphError> {
    check_confidence(m.confidence)?;
    require_live(tx, m.entity_id)?;
    let segment = load_segment(tx, m.span.segment_id)?;
    let quote = char_slice(segment.text(), m.span.char_start, m.span.char_end)
        .ok_or_else(|| GraphError::invalid("span lies outside its segment's text"))?;
    tx.prepare_cached(
        "INSERT INTO mention (entity_id, segment_id, memory_id, char_start, char_end, quote, \
         confidence, status, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        m.entity_id,
        segment.id,
        segment.memory_id,
        m.span.char_start,
        m.span.char_end,
        quote,
        m.confidence,
        m.status,
        now_ms()
    ])?;
    Ok(tx.last_insert_rowid())
}

/// Whether `entity` already has a mention overlapping `[start, end)` in `segment`.
pub(crate) fn overlapping_mention_exists(
    tx: &Transaction<'_>,
    entity: EntityId,
    segment: SegmentId,
    start: u32,
    end: u32,
) -> Result<bool, GraphError> {
    Ok(tx
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM mention WHERE entity_id = ?1 AND segment_id = ?2 \
             AND char_start < ?4 AND char_end > ?3)",
        )?
        .query_row(params![entity, segment, start, end], |r| r.get(0))?)
}

pub(crate) fn load_memory_mentions(
    tx: &Transaction<'_>,
    memory: MemoryId,
) -> Result<(Vec<Mention>, Vec<Entity>), GraphError> {
    let mentions = load_mentions_where(tx, "memory_id = ?1", memory)?;
    let mut ids: Vec<EntityId> = mentions.iter().map(|m| m.entity_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let entities = ids.into_iter().map(|id| load_entity_row(tx, id)).collect::<Result<_, _>>()?;
    Ok((mentions, entities))
}

fn relation_from_row(row: &Row<'_>) -> rusqlite::Result<Relation> {
    let segment: Option<i64> = row.get(4)?;
    let span = match (segment, row.get::<_, Option<u32>>(5)?, row.get::<_, Option<u32>>(6)?) {
        (Some(segment_id), Some(char_start), Some(char_end)) => {
            Some(Span { segment_id, char_start, char_end })
        }
        _ => None,
    };
    Ok(Relation {
        id: row.get(0)?,
        subject_id: row.get(1)?,
        object_id: row.get(2)?,
        kind: row.get(3)?,
        provenance: span,
        confidence: row.get(7)?,
        status: row.get(8)?,
    })
}

pub(crate) const RELATION_COLUMNS: &str =
    "id, subject_id, object_id, kind, segment_id, char_start, char_end, confidence, status";

pub(crate) fn load_relations_of(
    tx: &Transaction<'_>,
    id: EntityId,
) -> Result<Vec<Relation>, GraphError> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {RELATION_COLUMNS} FROM relation WHERE subject_id = ?1 OR object_id = ?1 ORDER BY id"
    ))?;
    let rows = stmt.query_map([id], relation_from_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn check_span(tx: &Transaction<'_>, span: &Span) -> Result<(), GraphError> {
    let segment = load_segment(tx, span.segment_id)?;
    if char_slice(segment.text(), span.char_start, span.char_end).is_none() {
        return Err(GraphError::invalid("span lies outside its segment's text"));
    }
    Ok(())
}

impl MemoryGraph {
    /// Creates an entity with its aliases.
    pub fn create_entity(&self, new: &NewEntity) -> Result<Entity, GraphError> {
        check_new_entity(new)?;
        self.db.write(|tx| {
            let id = insert_entity(tx, new)?;
            load_entity_row(tx, id)
        })
    }

    /// Creates an entity and links every occurrence of its names in `memories`, all in one
    /// transaction (an unknown memory adds nothing).
    pub fn create_entity_linked(
        &self,
        new: &NewEntity,
        memories: &[MemoryId],
    ) -> Result<(Entity, Vec<Mention>), GraphError> {
        check_new_entity(new)?;
        self.db.write(|tx| {
            let id = insert_entity(tx, new)?;
            let mut linked = Vec::new();
            for memory in memories {
                linked.extend(link_names_in(tx, id, *memory)?);
            }
            Ok((load_entity_row(tx, id)?, linked))
        })
    }

    /// An entity; a merged-away id resolves to the entity it was merged into.
    pub fn entity(&self, id: EntityId) -> Result<Entity, GraphError> {
        self.db.read(|tx| load_entity(tx, id))
    }

    /// Live entities matching `query`, by display name.
    pub fn list_entities(&self, query: &EntityQuery) -> Result<Vec<Entity>, GraphError> {
        let pattern = query.name.as_deref().map(|n| super::codec::escape_like(&normalize_name(n)));
        self.db.read(|tx| {
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {ENTITY_COLUMNS} FROM entity e WHERE merged_into IS NULL \
                 AND (?1 IS NULL OR kind = ?1) \
                 AND (?2 IS NULL OR name_norm LIKE ?2 || '%' ESCAPE '\\' \
                      OR name_norm LIKE '% ' || ?2 || '%' ESCAPE '\\' \
                      OR EXISTS (SELECT 1 FROM entity_alias a WHERE a.entity_id = e.id \
                                 AND (a.norm LIKE ?2 || '%' ESCAPE '\\' \
                                      OR a.norm LIKE '% ' || ?2 || '%' ESCAPE '\\'))) \
                 ORDER BY display_name COLLATE NOCASE, id"
            ))?;
            let rows = stmt.query_map(params![query.kind, pattern], entity_from_row)?;
            let mut entities = rows.collect::<Result<Vec<_>, _>>()?;
            for e in &mut entities {
                e.aliases = load_aliases(tx, e.id)?;
            }
            Ok(entities)
        })
    }

    /// Renames an entity; the old name stays as an alias so it is still found.
    pub fn rename_entity(&self, id: EntityId, display_name: &str) -> Result<Entity, GraphError> {
        check_text(display_name, "display name", MAX_NAME_CHARS)?;
        self.db.write(|tx| {
            require_live(tx, id)?;
            let old = load_entity_row(tx, id)?;
            insert_alias(tx, id, &old.display_name)?;
            tx.execute(
                "UPDATE entity SET display_name = ?2, name_norm = ?3 WHERE id = ?1",
                params![id, display_name.trim(), normalize_name(display_name)],
            )?;
            load_entity_row(tx, id)
        })
    }

    /// Replaces an entity's attributes.
    pub fn set_entity_attributes(
        &self,
        id: EntityId,
        attrs: &EntityAttributes,
    ) -> Result<Entity, GraphError> {
        check_attributes(attrs)?;
        self.db.write(|tx| {
            require_live(tx, id)?;
            tx.execute(
                "UPDATE entity SET relation_to_owner = ?2, birth_year = ?3, deceased = ?4, \
                 sensitive = ?5 WHERE id = ?1",
                params![
                    id,
                    attrs.relation_to_owner,
                    attrs.birth_year,
                    attrs.deceased,
                    attrs.sensitive
                ],
            )?;
            load_entity_row(tx, id)
        })
    }

    /// Marks an entity as confirmed (or back to inferred) by the owner.
    pub fn set_entity_status(
        &self,
        id: EntityId,
        status: FactStatus,
    ) -> Result<Entity, GraphError> {
        self.db.write(|tx| {
            require_live(tx, id)?;
            tx.execute("UPDATE entity SET status = ?2 WHERE id = ?1", params![id, status])?;
            load_entity_row(tx, id)
        })
    }

    /// Adds an alias ("Nonna", "Grandma Rosa").
    pub fn add_alias(&self, id: EntityId, alias: &str) -> Result<Entity, GraphError> {
        check_text(alias, "alias", MAX_NAME_CHARS)?;
        self.db.write(|tx| {
            require_live(tx, id)?;
            insert_alias(tx, id, alias)?;
            load_entity_row(tx, id)
        })
    }

    /// Links an entity to the span of a segment that names it.
    pub fn link_mention(
        &self,
        entity: EntityId,
        span: Span,
        confidence: f64,
        status: FactStatus,
    ) -> Result<Mention, GraphError> {
        let mut added =
            self.link_mentions(&[NewMention { entity_id: entity, span, confidence, status }])?;
        added.pop().ok_or(GraphError::NotFound { what: "mention", id: entity })
    }

    /// Links many mentions in one transaction: all are added or none (what extraction writes
    /// for a memory).
    pub fn link_mentions(&self, mentions: &[NewMention]) -> Result<Vec<Mention>, GraphError> {
        self.db.write(|tx| {
            let ids =
                mentions.iter().map(|m| insert_mention(tx, m)).collect::<Result<Vec<_>, _>>()?;
            let mut added = Vec::with_capacity(ids.len());
            for id in ids {
                added.extend(load_mentions_where(tx, "id = ?1", id)?);
            }
            Ok(added)
        })
    }

    /// Links `entity` to every whole-word, case-insensitive occurrence of its name or aliases
    /// in `memory`'s segments, as confirmed mentions (the owner named the person). Spans already
    /// linked to the entity are skipped. Returns the new mentions.
    pub fn link_name_occurrences(
        &self,
        entity: EntityId,
        memory: MemoryId,
    ) -> Result<Vec<Mention>, GraphError> {
        self.db.write(|tx| link_names_in(tx, entity, memory))
    }

    /// Removes a mention. The entity stays, even with no mentions left: unlinking is an edit,
    /// not a deletion of the person.
    pub fn unlink_mention(&self, id: MentionId) -> Result<(), GraphError> {
        self.db.write(|tx| match tx.execute("DELETE FROM mention WHERE id = ?1", [id])? {
            0 => Err(GraphError::NotFound { what: "mention", id }),
            _ => Ok(()),
        })
    }

    /// Marks a mention confirmed or inferred.
    pub fn set_mention_status(&self, id: MentionId, status: FactStatus) -> Result<(), GraphError> {
        self.db.write(|tx| {
            match tx.execute("UPDATE mention SET status = ?2 WHERE id = ?1", params![id, status])? {
                0 => Err(GraphError::NotFound { what: "mention", id }),
                _ => Ok(()),
            }
        })
    }

    /// Adds a relation between two live entities.
    pub fn add_relation(&self, new: &NewRelation) -> Result<Relation, GraphError> {
        check_text(&new.kind, "relation kind", MAX_RELATION_CHARS)?;
        check_confidence(new.confidence)?;
        if new.subject_id == new.object_id {
            return Err(GraphError::invalid("a relation needs two different entities"));
        }
        self.db.write(|tx| {
            require_live(tx, new.subject_id)?;
            require_live(tx, new.object_id)?;
            if let Some(span) = &new.provenance {
                check_span(tx, span)?;
            }
            let p = new.provenance;
            tx.prepare_cached(
                "INSERT INTO relation (subject_id, object_id, kind, segment_id, char_start, \
                 char_end, confidence, status, created_at_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                new.subject_id,
                new.object_id,
                new.kind.trim(),
                p.map(|s| s.segment_id),
                p.map(|s| s.char_start),
                p.map(|s| s.char_end),
                new.confidence,
                new.status,
                now_ms()
            ])?;
            let id = tx.last_insert_rowid();
            Ok(tx
                .prepare_cached(&format!("SELECT {RELATION_COLUMNS} FROM relation WHERE id = ?1"))?
                .query_row([id], relation_from_row)?)
        })
    }

    /// Removes a relation.
    pub fn remove_relation(&self, id: RelationId) -> Result<(), GraphError> {
        self.db.write(|tx| match tx.execute("DELETE FROM relation WHERE id = ?1", [id])? {
            0 => Err(GraphError::NotFound { what: "relation", id }),
            _ => Ok(()),
        })
    }
}

fn check_new_entity(new: &NewEntity) -> Result<(), GraphError> {
    check_text(&new.display_name, "display name", MAX_NAME_CHARS)?;
    for alias in &new.aliases {
        check_text(alias, "alias", MAX_NAME_CHARS)?;
    }
    check_attributes(&new.attributes)
}

fn insert_entity(tx: &Transaction<'_>, new: &NewEntity) -> Result<EntityId, GraphError> {
    let a = &new.attributes;
    tx.prepare_cached(
        "INSERT INTO entity (kind, display_name, name_norm, relation_to_owner, birth_year, \
         deceased, sensitive, status, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        new.kind,
        new.display_name.trim(),
        normalize_name(&new.display_name),
        a.relation_to_owner.as_deref().map(str::trim),
        a.birth_year,
        a.deceased,
        a.sensitive,
        new.status,
        now_ms()
    ])?;
    let id = tx.last_insert_rowid();
    for alias in &new.aliases {
        insert_alias(tx, id, alias)?;
    }
    Ok(id)
}

fn link_names_in(
    tx: &Transaction<'_>,
    entity: EntityId,
    memory: MemoryId,
) -> Result<Vec<Mention>, GraphError> {
    require_live(tx, entity)?;
    super::memories::load_memory(tx, memory)?;
    let e = load_entity_row(tx, entity)?;
    let names: Vec<Vec<char>> = std::iter::once(&e.display_name)
        .chain(&e.aliases)
        .map(|n| n.chars().flat_map(char::to_lowercase).collect())
        .collect();
    let mut added = Vec::new();
    for segment in super::segments::load_segments(tx, memory)? {
        for (start, end) in find_names(segment.text(), &names) {
            let exists = overlapping_mention_exists(tx, entity, segment.id, start, end)?;
            if exists {
                continue;
            }
            let id = insert_mention(
                tx,
                &NewMention {
                    entity_id: entity,
                    span: Span { segment_id: segment.id, char_start: start, char_end: end },
                    confidence: 1.0,
                    status: FactStatus::Confirmed,
                },
            )?;
            added.extend(load_mentions_where(tx, "id = ?1", id)?);
        }
    }
    Ok(added)
}

/// Whole-word occurrences of any of `names` (already lowercased) in `text`, longest name first
/// at each position, as character spans; occurrences do not overlap.
fn find_names(text: &str, names: &[Vec<char>]) -> Vec<(u32, u32)> {
    let chars: Vec<char> = text.chars().collect();
    let folded: Vec<Option<char>> = chars
        .iter()
        .map(|c| {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) => Some(l),
                _ => None,
            }
        })
        .collect();
    let is_word = |i: usize| chars.get(i).is_some_and(|c| c.is_alphanumeric());
    let mut spans = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let boundary_before = i == 0 || !is_word(i - 1);
        let matched = names
            .iter()
            .filter(|n| !n.is_empty() && boundary_before && i + n.len() <= chars.len())
            .filter(|n| n.iter().enumerate().all(|(k, c)| folded[i + k] == Some(*c)))
            .filter(|n| !is_word(i + n.len()))
            .map(Vec::len)
            .max();
        match matched {
            Some(len) => {
                spans.push((i as u32, (i + len) as u32));
                i += len;
            }
            None => i += 1,
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::find_names;

    fn lower(names: &[&str]) -> Vec<Vec<char>> {
        names.iter().map(|n| n.chars().flat_map(char::to_lowercase).collect()).collect()
    }

    #[test]
    fn finds_whole_words_case_insensitively_longest_first() {
        let text = "Rosa met rosa's sister; Rosalind and Grandma Rosa came. ROSA!";
        let spans = find_names(text, &lower(&["Rosa", "Grandma Rosa"]));
        let words: Vec<String> = spans
            .iter()
            .map(|&(s, e)| text.chars().skip(s as usize).take((e - s) as usize).collect())
            .collect();
        assert_eq!(words, ["Rosa", "rosa", "Grandma Rosa", "ROSA"]);
    }

    #[test]
    fn works_on_non_latin_names() {
        let text = "我和李小龍去了 and Ólafur.";
        assert_eq!(find_names(text, &lower(&["ólafur"])), vec![(12, 18)]);
        assert!(find_names(text, &lower(&["李小"])).is_empty(), "not a whole word");
    }
}
