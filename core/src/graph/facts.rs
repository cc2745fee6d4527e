//! Facts read from transcripts: the extractor's findings stored as entities and mentions, each
//! mention keeping the span it was read from, what was read there (`detail`), and a confidence.
//! Low-confidence facts are proposals the owner confirms or rejects; a rejected fact never
//! comes back when the memory is read again.
//!
//! People are resolved across memories: the same name (or first name) with no conflicting
//! relation is the same person; a nameless "my grandmother" joins the one grandmother the graph
//! knows. When the evidence is thinner — a named grandmother arrives and an unnamed one exists
//! — the graph proposes a merge; for relations a person has one of (mother, father) it merges
//! at once, as an accepted proposal the owner can undo.

use super::codec::normalize_name;
use super::entities::{
    insert_alias, insert_mention, load_entity_row, overlapping_mention_exists, require_live,
};
use super::memories::load_memory;
use super::model::*;
use super::profile::load_profile;
use super::segments::load_segments;
use super::{now_ms, GraphError, MemoryGraph};
use crate::extract::{
    Extracted, Extractor, Fact, TellerContext, EXTRACTOR_VERSION, PROPOSAL_BELOW,
};
use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;

/// A fact as the app shows it: the entity, the words it was read from, and how sure we are.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FactView {
    pub mention_id: MentionId,
    pub memory_id: MemoryId,
    pub entity: Entity,
    /// What the extractor read at the span; `None` when the owner linked it by hand.
    pub detail: Option<Fact>,
    pub span: Span,
    pub quote: String,
    pub confidence: f64,
    pub status: FactStatus,
    /// An inferred fact below [`PROPOSAL_BELOW`]: shown to the owner to confirm or reject.
    pub proposal: bool,
    /// For periods: the years (open ends allowed) and life stage the entity stands for.
    pub year_from: Option<i32>,
    pub year_to: Option<i32>,
    pub life_stage: Option<LifeStage>,
}

/// What reading one memory did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExtractionReport {
    pub memory_id: MemoryId,
    /// Mentions stored.
    pub mentions: u32,
    /// Of those, proposals awaiting the owner.
    pub proposals: u32,
    /// People merged at once (undoable) and merges proposed.
    pub merged: u32,
    pub merges_proposed: u32,
}

/// Relations a person has one of at a time: an unnamed "my mother" and a named mother are the
/// same person.
const ONE_OF: &[&str] =
    &["mother", "father", "stepmother", "stepfather", "mother-in-law", "father-in-law"];

enum PersonMatch {
    Existing(EntityId),
    New { merge: Option<(EntityId, f64)> },
}

struct Person {
    id: EntityId,
    norm: String,
    aliases: Vec<String>,
    relation: Option<String>,
    /// Created from a relation alone ("Grandmother"): no name known yet.
    unnamed: bool,
}

fn first_word(norm: &str) -> &str {
    norm.split(' ').next().unwrap_or(norm)
}

fn live_people(tx: &Transaction<'_>) -> Result<Vec<Person>, GraphError> {
    let mut stmt = tx.prepare_cached(
        "SELECT e.id, e.name_norm, e.relation_to_owner, \
         (SELECT group_concat(norm, char(31)) FROM entity_alias a WHERE a.entity_id = e.id) \
         FROM entity e WHERE e.kind = 'person' AND e.merged_into IS NULL ORDER BY e.id",
    )?;
    let rows = stmt.query_map([], |r| {
        let norm: String = r.get(1)?;
        let relation: Option<String> = r.get(2)?;
        let aliases: Option<String> = r.get(3)?;
        Ok(Person {
            id: r.get(0)?,
            unnamed: relation.as_deref().is_some_and(|rel| normalize_name(rel) == norm),
            norm,
            aliases: aliases
                .map(|a| a.split('\u{1f}').map(str::to_string).collect())
                .unwrap_or_default(),
            relation,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn match_person(people: &[Person], name: Option<&str>, relation: Option<&str>) -> PersonMatch {
    let compatible = |p: &&Person| match (relation, p.relation.as_deref()) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    };
    let unique = |found: Vec<&Person>| -> Option<EntityId> {
        match found.as_slice() {
            [one] => Some(one.id),
            _ => None,
        }
    };
    match (name, relation) {
        (Some(name), _) => {
            let norm = normalize_name(name);
            let named: Vec<&Person> =
                people.iter().filter(|p| !p.unnamed).filter(compatible).collect();
            let exact: Vec<&Person> = named
                .iter()
                .copied()
                .filter(|p| p.norm == norm || p.aliases.contains(&norm))
                .collect();
            if let Some(id) = unique(exact.clone()) {
                return PersonMatch::Existing(id);
            }
            if exact.len() > 1 {
                let same: Vec<&Person> = exact
                    .iter()
                    .copied()
                    .filter(|p| p.relation.as_deref() == relation && relation.is_some())
                    .collect();
                return match unique(same) {
                    Some(id) => PersonMatch::Existing(id),
                    None => PersonMatch::New { merge: Some((exact[0].id, 0.6)) },
                };
            }
            // "Rosa" and "Rosa Martinez": one name is the other's first word.
            let first: Vec<&Person> = named
                .iter()
                .copied()
                .filter(|p| {
                    let single = !norm.contains(' ') || !p.norm.contains(' ');
                    single && first_word(&p.norm) == first_word(&norm)
                })
                .collect();
            if let Some(id) = unique(first.clone()) {
                return PersonMatch::Existing(id);
            }
            if let Some(p) = first.first() {
                return PersonMatch::New { merge: Some((p.id, 0.5)) };
            }
            // A named person whose relation matches a nameless one: "Grandma Rosa" and "my
            // grandmother".
            if let Some(rel) = relation {
                let nameless: Vec<&Person> = people
                    .iter()
                    .filter(|p| p.unnamed && p.relation.as_deref() == Some(rel))
                    .collect();
                if let [one] = nameless.as_slice() {
                    let score = if ONE_OF.contains(&rel) { 0.9 } else { 0.7 };
                    return PersonMatch::New { merge: Some((one.id, score)) };
                }
            }
            PersonMatch::New { merge: None }
        }
        (None, Some(rel)) => {
            let with: Vec<&Person> =
                people.iter().filter(|p| p.relation.as_deref() == Some(rel)).collect();
            if let Some(id) = unique(with.clone()) {
                return PersonMatch::Existing(id);
            }
            match with.iter().find(|p| p.unnamed) {
                Some(p) => PersonMatch::Existing(p.id),
                None => PersonMatch::New { merge: None },
            }
        }
        (None, None) => PersonMatch::New { merge: None },
    }
}

/// The kind and lookup key of a fact's entity.
fn entity_key(fact: &Fact) -> (EntityKind, String) {
    match fact {
        Fact::Person { .. } => (EntityKind::Person, normalize_name(&fact.display_name())),
        Fact::Place { name, .. } => (EntityKind::Place, normalize_name(name)),
        Fact::Period { from, to, stage, age, .. } => {
            let key = match (stage, age) {
                (Some(stage), _) => format!("stage:{}", stage.as_str()),
                (None, Some(age)) if from.is_none() => format!("age:{age}"),
                _ => format!(
                    "years:{}-{}",
                    from.map(|y| y.to_string()).unwrap_or_default(),
                    to.map(|y| y.to_string()).unwrap_or_default()
                ),
            };
            (EntityKind::Period, key)
        }
        Fact::Event { event } => (EntityKind::Event, event.as_str().to_string()),
        Fact::Emotion { emotion } => (EntityKind::Emotion, emotion.as_str().to_string()),
    }
}

pub(super) fn insert_extracted_entity(
    tx: &Transaction<'_>,
    kind: EntityKind,
    display: &str,
    norm: &str,
    fact: &Fact,
) -> Result<EntityId, GraphError> {
    let (relation, deceased) = match fact {
        Fact::Person { relation, deceased, .. } => (relation.clone(), *deceased),
        _ => (None, false),
    };
    let (year_from, year_to, stage) = match fact {
        Fact::Period { from, to, stage, .. } => (*from, *to, *stage),
        _ => (None, None, None),
    };
    tx.prepare_cached(
        "INSERT INTO entity (kind, display_name, name_norm, relation_to_owner, deceased, status, \
         created_at_ms, year_from, year_to, life_stage, extracted) \
         VALUES (?1, ?2, ?3, ?4, ?5, 'inferred', ?6, ?7, ?8, ?9, 1)",
    )?
    .execute(params![
        kind,
        display,
        norm,
        relation,
        deceased,
        now_ms(),
        year_from,
        year_to,
        stage
    ])?;
    Ok(tx.last_insert_rowid())
}

pub(super) fn find_by_norm(
    tx: &Transaction<'_>,
    kind: EntityKind,
    norm: &str,
) -> Result<Option<EntityId>, GraphError> {
    Ok(tx
        .prepare_cached(
            "SELECT e.id FROM entity e WHERE e.kind = ?1 AND e.merged_into IS NULL AND \
             (e.name_norm = ?2 OR EXISTS (SELECT 1 FROM entity_alias a WHERE a.entity_id = e.id AND a.norm = ?2)) \
             ORDER BY e.status = 'confirmed' DESC, e.id LIMIT 1",
        )?
        .query_row(params![kind, norm], |r| r.get(0))
        .optional()?)
}

/// Follows merges to the live entity.
fn live(tx: &Transaction<'_>, id: EntityId) -> Result<EntityId, GraphError> {
    Ok(super::entities::load_entity(tx, id)?.id)
}

struct Applied {
    report: ExtractionReport,
    /// (keep, merge, score, merge at once)
    merges: Vec<(EntityId, EntityId, f64, bool)>,
}

fn apply(
    tx: &Transaction<'_>,
    memory: MemoryId,
    extractor: &Extractor,
) -> Result<Applied, GraphError> {
    let current = load_memory(tx, memory)?;
    let segments = load_segments(tx, memory)?;
    let profile = load_profile(tx)?;
    let texts: Vec<&str> = segments.iter().map(Segment::text).collect();
    let found = extractor.extract(&texts, TellerContext { birth_year: profile.birth_year });
    tx.execute(
        "DELETE FROM mention WHERE memory_id = ?1 AND extractor IS NOT NULL AND status = 'inferred'",
        [memory],
    )?;
    // What only the earlier reading knew goes now, so this reading starts from the graph as
    // the other memories (and the owner) made it.
    remove_orphans(tx)?;
    let mut applied = Applied {
        report: ExtractionReport { memory_id: memory, ..Default::default() },
        merges: Vec::new(),
    };
    let mut people = live_people(tx)?;
    for extracted in &found.facts {
        let (kind, norm) = entity_key(&extracted.fact);
        let rejected: bool = tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM rejected_fact WHERE memory_id = ?1 AND kind = ?2 AND norm = ?3)")?
            .query_row(params![memory, kind, norm], |r| r.get(0))?;
        if rejected {
            continue;
        }
        let entity = match &extracted.fact {
            Fact::Person { name, relation, deceased } => {
                let id = match match_person(&people, name.as_deref(), relation.as_deref()) {
                    PersonMatch::Existing(id) => {
                        let id = live(tx, id)?;
                        let e = load_entity_row(tx, id)?;
                        if e.attributes.relation_to_owner.is_none() && relation.is_some() {
                            tx.execute(
                                "UPDATE entity SET relation_to_owner = ?2 WHERE id = ?1",
                                params![id, relation],
                            )?;
                        }
                        if *deceased && !e.attributes.deceased {
                            tx.execute("UPDATE entity SET deceased = 1 WHERE id = ?1", [id])?;
                        }
                        if let Some(name) = name {
                            if normalize_name(name) != normalize_name(&e.display_name) {
                                insert_alias(tx, id, name)?;
                            }
                        }
                        id
                    }
                    PersonMatch::New { merge } => {
                        let id = insert_extracted_entity(
                            tx,
                            kind,
                            &extracted.fact.display_name(),
                            &norm,
                            &extracted.fact,
                        )?;
                        if let Some((other, score)) = merge {
                            let at_once = score >= 0.9;
                            // The named one stays: the nameless one folds into it.
                            let other_unnamed = people.iter().any(|p| p.id == other && p.unnamed);
                            let (keep, fold) =
                                if other_unnamed { (id, other) } else { (other, id) };
                            applied.merges.push((keep, fold, score, at_once));
                        }
                        id
                    }
                };
                people = live_people(tx)?;
                id
            }
            fact => match find_by_norm(tx, kind, &norm)? {
                Some(id) => id,
                None => insert_extracted_entity(tx, kind, &fact.display_name(), &norm, fact)?,
            },
        };
        store_mentions(tx, entity, extracted, &segments, &mut applied.report)?;
    }
    for (segment, valence) in segments.iter().zip(&found.valence) {
        tx.execute("UPDATE segment SET valence = ?2 WHERE id = ?1", params![segment.id, valence])?;
    }
    if current.about_when.is_none() || current.about_status == FactStatus::Inferred {
        let about = about_from(&found.facts);
        if about != current.about_when {
            let columns = super::codec::encode_about(about)?;
            tx.execute(
                "UPDATE memory SET about_precision = ?2, about_from = ?3, about_to = ?4, about_stage = ?5, \
                 about_sort = ?6, about_status = 'inferred' WHERE id = ?1",
                params![memory, columns.precision, columns.from, columns.to, columns.stage, columns.sort],
            )?;
        }
    }
    tx.execute(
        "UPDATE memory SET extracted_at_ms = ?2, extractor_version = ?3 WHERE id = ?1",
        params![memory, now_ms(), EXTRACTOR_VERSION],
    )?;
    remove_orphans(tx)?;
    Ok(applied)
}

fn store_mentions(
    tx: &Transaction<'_>,
    entity: EntityId,
    extracted: &Extracted,
    segments: &[Segment],
    report: &mut ExtractionReport,
) -> Result<(), GraphError> {
    let detail = serde_json::to_string(&extracted.fact)
        .map_err(|_| GraphError::invalid("fact could not be stored"))?;
    for span in &extracted.spans {
        let Some(segment) = segments.get(span.segment) else { continue };
        let exists =
            overlapping_mention_exists(tx, entity, segment.id, span.char_start, span.char_end)?;
        if exists {
            continue;
        }
        let id = insert_mention(
            tx,
            &NewMention {
                entity_id: entity,
                span: Span {
                    segment_id: segment.id,
                    char_start: span.char_start,
                    char_end: span.char_end,
                },
                confidence: extracted.confidence,
                status: FactStatus::Inferred,
            },
        )?;
        tx.execute(
            "UPDATE mention SET detail = ?2, extractor = ?3 WHERE id = ?1",
            params![id, detail, EXTRACTOR_VERSION],
        )?;
        report.mentions += 1;
        report.proposals += u32::from(extracted.confidence < PROPOSAL_BELOW);
    }
    Ok(())
}

/// The memory's date from its periods: the most precise calendar period, else a life stage.
fn about_from(facts: &[Extracted]) -> Option<AboutWhen> {
    let mut best: Option<(u8, AboutWhen)> = None;
    for fact in facts {
        let Fact::Period { from, to, stage, .. } = &fact.fact else { continue };
        let candidate = match (from, to, stage) {
            (Some(a), Some(b), None) if a == b => Some((0, AboutWhen::Year { year: *a })),
            (Some(a), Some(b), None) if b - a == 9 && a % 10 == 0 => {
                Some((2, AboutWhen::Decade { start: *a }))
            }
            (Some(a), Some(b), None) if b > a => {
                Some((1, AboutWhen::YearRange { from: *a, to: *b }))
            }
            (_, _, Some(stage)) => Some((3, AboutWhen::LifeStage { stage: *stage })),
            _ => None,
        };
        if let Some(c) = candidate {
            if best.is_none_or(|(rank, _)| c.0 < rank) {
                best = Some(c);
            }
        }
    }
    best.map(|(_, about)| about)
}

/// Entities extraction made that nothing refers to any more.
fn remove_orphans(tx: &Transaction<'_>) -> Result<(), GraphError> {
    tx.execute_batch(
        "DELETE FROM entity WHERE extracted = 1 AND status = 'inferred' AND sensitive = 0 \
         AND merged_into IS NULL \
         AND NOT EXISTS (SELECT 1 FROM mention m WHERE m.entity_id = entity.id) \
         AND NOT EXISTS (SELECT 1 FROM relation r WHERE r.subject_id = entity.id OR r.object_id = entity.id) \
         AND NOT EXISTS (SELECT 1 FROM media d WHERE d.place_entity_id = entity.id) \
         AND NOT EXISTS (SELECT 1 FROM entity e2 WHERE e2.merged_into = entity.id) \
         AND NOT EXISTS (SELECT 1 FROM merge_proposal p WHERE p.state = 'accepted' AND (p.keep_id = entity.id OR p.merge_id = entity.id))",
    )?;
    Ok(())
}

fn fact_view(tx: &Transaction<'_>, mention: MentionId) -> Result<FactView, GraphError> {
    let row = tx
        .prepare_cached(
            "SELECT id, memory_id, entity_id, segment_id, char_start, char_end, quote, confidence, status, detail \
             FROM mention WHERE id = ?1",
        )?
        .query_row([mention], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                Span { segment_id: r.get(3)?, char_start: r.get(4)?, char_end: r.get(5)? },
                r.get::<_, String>(6)?,
                r.get::<_, f64>(7)?,
                r.get::<_, FactStatus>(8)?,
                r.get::<_, Option<String>>(9)?,
            ))
        })
        .optional()?
        .ok_or(GraphError::NotFound { what: "fact", id: mention })?;
    let (id, memory_id, entity_id, span, quote, confidence, status, detail) = row;
    let entity = load_entity_row(tx, entity_id)?;
    let (year_from, year_to, life_stage): (Option<i32>, Option<i32>, Option<LifeStage>) = tx
        .prepare_cached("SELECT year_from, year_to, life_stage FROM entity WHERE id = ?1")?
        .query_row([entity_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(FactView {
        mention_id: id,
        memory_id,
        detail: detail.and_then(|d| serde_json::from_str(&d).ok()),
        proposal: status == FactStatus::Inferred && confidence < PROPOSAL_BELOW,
        entity,
        span,
        quote,
        confidence,
        status,
        year_from,
        year_to,
        life_stage,
    })
}

fn collect_ids(tx: &Transaction<'_>, sql: &str, arg: i64) -> Result<Vec<i64>, GraphError> {
    let mut stmt = tx.prepare_cached(sql)?;
    let rows = stmt.query_map([arg], |r| r.get(0))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

impl MemoryGraph {
    /// Attaches the extractor: from now on, every new or corrected transcript is read for facts.
    pub fn attach_extractor(&self, extractor: Extractor) {
        *self.extractor.write().unwrap_or_else(|p| p.into_inner()) = Some(extractor);
    }

    /// The attached extractor, if any.
    pub fn extractor(&self) -> Option<Extractor> {
        self.extractor.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Reads `memory` for facts with `extractor`, replacing what an earlier reading inferred
    /// (confirmed facts stay; rejected ones stay away).
    pub fn extract_memory_with(
        &self,
        memory: MemoryId,
        extractor: &Extractor,
    ) -> Result<ExtractionReport, GraphError> {
        let applied = self.db.write(|tx| apply(tx, memory, extractor))?;
        let mut report = applied.report;
        for (keep, merge, score, at_once) in applied.merges {
            let proposal = self.propose_merge(keep, merge, score)?;
            if at_once {
                self.accept_merge(proposal.id)?;
                report.merged += 1;
            } else {
                report.merges_proposed += 1;
            }
        }
        Ok(report)
    }

    /// Reads `memory` with the attached extractor; `None` when none is attached.
    pub fn extract_memory(&self, memory: MemoryId) -> Result<Option<ExtractionReport>, GraphError> {
        match self.extractor() {
            Some(extractor) => self.extract_memory_with(memory, &extractor).map(Some),
            None => Ok(None),
        }
    }

    /// Reads every memory again (after the birth year changes, or a newer extractor). Returns
    /// how many were read; none without an extractor.
    pub fn reextract_all(&self) -> Result<u32, GraphError> {
        let Some(extractor) = self.extractor() else { return Ok(0) };
        let ids = self
            .db
            .read(|tx| collect_ids(tx, "SELECT id FROM memory WHERE ?1 = ?1 ORDER BY id", 0))?;
        for id in &ids {
            self.extract_memory_with(*id, &extractor)?;
        }
        Ok(ids.len() as u32)
    }

    /// Memories never read, or read by an older extractor: the work list after an upgrade.
    pub fn memories_to_extract(&self) -> Result<Vec<MemoryId>, GraphError> {
        self.db.read(|tx| {
            collect_ids(
                tx,
                "SELECT id FROM memory WHERE extractor_version IS NULL OR extractor_version < ?1 ORDER BY id",
                i64::from(EXTRACTOR_VERSION),
            )
        })
    }

    /// A memory's facts in reading order.
    pub fn memory_facts(&self, memory: MemoryId) -> Result<Vec<FactView>, GraphError> {
        self.db.read(|tx| {
            load_memory(tx, memory)?;
            let ids = collect_ids(
                tx,
                "SELECT m.id FROM mention m JOIN segment s ON s.id = m.segment_id \
                 WHERE m.memory_id = ?1 ORDER BY s.ordinal, m.char_start, m.id",
                memory,
            )?;
            ids.into_iter().map(|id| fact_view(tx, id)).collect()
        })
    }

    /// Facts awaiting the owner (inferred, below [`PROPOSAL_BELOW`]), newest memory first.
    pub fn fact_proposals(&self, limit: u32) -> Result<Vec<FactView>, GraphError> {
        self.db.read(|tx| {
            let ids = collect_ids(
                tx,
                "SELECT id FROM mention WHERE status = 'inferred' AND extractor IS NOT NULL \
                 AND confidence < ?1 / 100.0 ORDER BY memory_id DESC, id LIMIT 1000",
                (PROPOSAL_BELOW * 100.0).round() as i64,
            )?;
            ids.into_iter().take(limit as usize).map(|id| fact_view(tx, id)).collect()
        })
    }

    /// The owner confirms a fact: it and its entity become confirmed.
    pub fn confirm_fact(&self, mention: MentionId) -> Result<FactView, GraphError> {
        self.db.write(|tx| {
            let view = fact_view(tx, mention)?;
            require_live(tx, view.entity.id)?;
            tx.execute("UPDATE mention SET status = 'confirmed' WHERE id = ?1", [mention])?;
            tx.execute("UPDATE entity SET status = 'confirmed' WHERE id = ?1", [view.entity.id])?;
            fact_view(tx, mention)
        })
    }

    /// The owner rejects a fact: its mentions in that memory go, and reading the memory again
    /// will not bring it back. An entity left with nothing is removed.
    pub fn reject_fact(&self, mention: MentionId) -> Result<(), GraphError> {
        self.db.write(|tx| {
            let view = fact_view(tx, mention)?;
            let norm: String =
                tx.query_row("SELECT name_norm FROM entity WHERE id = ?1", [view.entity.id], |r| r.get(0))?;
            tx.execute(
                "INSERT OR IGNORE INTO rejected_fact (memory_id, kind, norm, created_at_ms) VALUES (?1, ?2, ?3, ?4)",
                params![view.memory_id, view.entity.kind, norm, now_ms()],
            )?;
            tx.execute(
                "DELETE FROM mention WHERE memory_id = ?1 AND entity_id = ?2 AND status = 'inferred'",
                params![view.memory_id, view.entity.id],
            )?;
            tx.execute("DELETE FROM mention WHERE id = ?1", [mention])?;
            remove_orphans(tx)
        })
    }
}

#[cfg(test)]
#[path = "fact_tests.rs"]
mod tests;
