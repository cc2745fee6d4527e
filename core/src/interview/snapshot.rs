//! What the interviewer knows at one moment, read in one transaction: people and how well they
//! are described, threads that recur, which decades, stages and topics have stories, what was
//! asked, and how the last answer went.

use super::{InterviewError, ReasonKind};
use crate::graph::{EntityId, EntityKind, LifeStage, MemoryGraph, MemoryId};
use rusqlite::{OptionalExtension, Transaction};
use std::collections::{BTreeMap, BTreeSet};

pub(crate) struct PersonInfo {
    pub id: EntityId,
    pub name: String,
    pub relation: Option<String>,
    pub deceased: bool,
    /// Known only by relation ("my grandmother").
    pub unnamed: bool,
    pub memories: u32,
    pub has_era: bool,
    pub has_place: bool,
}

pub(crate) struct ThreadInfo {
    pub id: EntityId,
    pub kind: EntityKind,
    pub name: String,
    pub relation: Option<String>,
    pub unnamed: bool,
    pub memories: u32,
}

pub(crate) struct LastAnswer {
    pub memory: MemoryId,
    pub has_place: bool,
    pub has_period: bool,
    pub has_person: bool,
    pub sensory: bool,
    pub voice: bool,
    /// Mean segment valence, -1..=1.
    pub valence: f64,
    pub painful: bool,
    /// Entities the answer mentions (live, not sensitive).
    pub entities: Vec<EntityId>,
    /// Event kinds the answer mentions ("war_service").
    pub events: Vec<String>,
}

pub(crate) struct Snapshot {
    pub birth_year: Option<i32>,
    pub now_year: i32,
    pub memory_count: u32,
    pub people: Vec<PersonInfo>,
    pub threads: Vec<ThreadInfo>,
    pub decades: BTreeSet<i32>,
    pub stages: BTreeSet<LifeStage>,
    pub events: BTreeSet<String>,
    /// Years the stories span, when any are dated.
    pub span: Option<(i32, i32)>,
    pub asked: BTreeMap<String, i64>,
    pub asked_count: u32,
    /// Kinds and times of questions asked in the last hour, newest first.
    pub recent: Vec<(ReasonKind, i64)>,
    pub bereavement: bool,
    pub sensitive_topics: BTreeSet<String>,
    pub last: Option<LastAnswer>,
}

const SENSORY: &[&str] = &[
    "smell", "smelled", "smelt", "scent", "taste", "tasted", "sound", "sounded", "heard", "noise",
    "music", "song", "sang", "warm", "cold", "bright", "colour", "color", "soft", "rough", "sweet",
    "bitter", "loud", "quiet", "red", "blue", "green", "yellow", "white", "aroma", "felt",
];
const VOICE: &[&str] = &[
    "said",
    "says",
    "voice",
    "laugh",
    "laughed",
    "told",
    "called",
    "shouted",
    "whispered",
    "sang",
    "used to say",
    "would say",
    "always said",
];

pub(crate) fn year_of(now_ms: i64) -> i32 {
    civil(now_ms).0
}

pub(crate) use crate::clock::civil;

fn ids(tx: &Transaction<'_>, sql: &str, arg: i64) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = tx.prepare_cached(sql)?;
    let rows = stmt.query_map([arg], |r| r.get(0))?;
    rows.collect()
}

pub(crate) fn take(
    graph: &MemoryGraph,
    last_answer: Option<MemoryId>,
    now_ms: i64,
) -> Result<Snapshot, InterviewError> {
    graph.database().read(|tx| read(tx, last_answer, now_ms))
}

fn read(
    tx: &Transaction<'_>,
    last_answer: Option<MemoryId>,
    now_ms: i64,
) -> Result<Snapshot, InterviewError> {
    let birth_year: Option<i32> = tx
        .query_row("SELECT birth_year FROM owner_profile WHERE id = 1", [], |r| r.get(0))
        .optional()?
        .flatten();
    let memory_count: u32 = tx.query_row("SELECT count(*) FROM memory", [], |r| r.get(0))?;
    // Live, non-sensitive people with how many memories mention them, and whether those
    // memories carry a period and a place.
    let people = {
        let mut stmt = tx.prepare_cached(
            "SELECT e.id, e.display_name, e.relation_to_owner, e.deceased, e.name_norm, \
               (SELECT count(DISTINCT m.memory_id) FROM mention m WHERE m.entity_id = e.id), \
               EXISTS (SELECT 1 FROM mention m JOIN mention o ON o.memory_id = m.memory_id \
                       JOIN entity oe ON oe.id = o.entity_id \
                       WHERE m.entity_id = e.id AND oe.kind = 'period') \
               OR EXISTS (SELECT 1 FROM mention m JOIN memory mm ON mm.id = m.memory_id \
                       WHERE m.entity_id = e.id AND mm.about_precision IS NOT NULL AND mm.about_status = 'confirmed'), \
               EXISTS (SELECT 1 FROM mention m JOIN mention o ON o.memory_id = m.memory_id \
                       JOIN entity oe ON oe.id = o.entity_id \
                       WHERE m.entity_id = e.id AND oe.kind = 'place') \
             FROM entity e WHERE e.kind = 'person' AND e.merged_into IS NULL AND e.sensitive = 0 \
             ORDER BY e.id",
        )?;
        let rows = stmt.query_map([], |r| {
            let relation: Option<String> = r.get(2)?;
            let norm: String = r.get(4)?;
            Ok(PersonInfo {
                id: r.get(0)?,
                name: r.get(1)?,
                unnamed: relation.as_deref().is_some_and(|rel| rel.to_lowercase() == norm),
                relation,
                deceased: r.get(3)?,
                memories: r.get(5)?,
                has_era: r.get(6)?,
                has_place: r.get(7)?,
            })
        })?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    let threads = {
        let mut stmt = tx.prepare_cached(
            "SELECT e.id, e.kind, e.display_name, e.relation_to_owner, e.name_norm, \
               count(DISTINCT m.memory_id) AS n \
             FROM entity e JOIN mention m ON m.entity_id = e.id \
             WHERE e.kind IN ('person', 'place', 'event') AND e.merged_into IS NULL AND e.sensitive = 0 \
             GROUP BY e.id HAVING n >= 3 ORDER BY n DESC, e.id",
        )?;
        let rows = stmt.query_map([], |r| {
            let relation: Option<String> = r.get(3)?;
            let norm: String = r.get(4)?;
            Ok(ThreadInfo {
                id: r.get(0)?,
                kind: r.get(1)?,
                name: r.get(2)?,
                unnamed: relation.as_deref().is_some_and(|rel| rel.to_lowercase() == norm),
                relation,
                memories: r.get(5)?,
            })
        })?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    // Dated stories: memory dates (yyyymmdd day numbers) and period entities mentioned.
    let mut decades = BTreeSet::new();
    let mut stages = BTreeSet::new();
    let mut years: Vec<i32> = Vec::new();
    {
        // Memory dates (yyyymmdd day numbers) and the period entities mentioned, as year ranges.
        let mut stmt = tx.prepare_cached(
            "SELECT about_from / 10000, about_to / 10000, about_stage FROM memory \
             WHERE about_precision IS NOT NULL \
             UNION ALL SELECT DISTINCT e.year_from, coalesce(e.year_to, e.year_from), e.life_stage \
             FROM entity e JOIN mention m ON m.entity_id = e.id WHERE e.kind = 'period'",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, Option<i32>>(0)?,
                r.get::<_, Option<i32>>(1)?,
                r.get::<_, Option<LifeStage>>(2)?,
            ))
        })?;
        for row in rows {
            let (from, to, stage) = row?;
            if let (Some(from), Some(to)) = (from, to) {
                if to >= from && to - from <= 20 {
                    years.extend([from, to]);
                    for decade in (from / 10 * 10..=to / 10 * 10).step_by(10) {
                        decades.insert(decade);
                    }
                }
            }
            stages.extend(stage);
        }
    }
    if let Some(born) = birth_year {
        for year in &years {
            stages.insert(stage_at(year - born));
        }
    }
    let span = years.iter().min().zip(years.iter().max()).map(|(a, b)| (*a, *b));
    let events: BTreeSet<String> = {
        let mut stmt = tx.prepare_cached(
            "SELECT DISTINCT e.name_norm FROM entity e JOIN mention m ON m.entity_id = e.id WHERE e.kind = 'event'",
        )?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    let mut asked = BTreeMap::new();
    let mut recent = Vec::new();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT key, asked_at_ms, reason_kind FROM interview_question ORDER BY id DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?))
        })?;
        for row in rows {
            let (key, at, kind) = row?;
            if now_ms - at < 3_600_000 {
                if let Ok(kind) =
                    serde_json::from_value::<ReasonKind>(serde_json::Value::String(kind))
                {
                    recent.push((kind, at));
                }
            }
            asked.entry(key).or_insert(at);
        }
    }
    let asked_count: u32 =
        tx.query_row("SELECT count(*) FROM interview_question", [], |r| r.get(0))?;
    let bereavement = tx
        .query_row("SELECT value FROM interview_setting WHERE key = 'bereavement_mode'", [], |r| {
            r.get::<_, String>(0)
        })
        .optional()?
        .as_deref()
        == Some("1");
    let sensitive_topics: BTreeSet<String> = {
        let mut stmt = tx.prepare_cached("SELECT topic FROM sensitive_topic")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    let last = match last_answer {
        Some(memory) => Some(last_answer_info(tx, memory)?),
        None => None,
    };
    Ok(Snapshot {
        birth_year,
        now_year: year_of(now_ms),
        memory_count,
        people,
        threads,
        decades,
        stages,
        events,
        span,
        asked,
        asked_count,
        recent,
        bereavement,
        sensitive_topics,
        last,
    })
}

pub(crate) fn stage_at(age: i32) -> LifeStage {
    match age {
        i32::MIN..=4 => LifeStage::EarlyChildhood,
        5..=12 => LifeStage::Childhood,
        13..=17 => LifeStage::Adolescence,
        18..=29 => LifeStage::YoungAdulthood,
        30..=49 => LifeStage::Adulthood,
        50..=64 => LifeStage::MiddleAge,
        _ => LifeStage::LaterLife,
    }
}

fn last_answer_info(tx: &Transaction<'_>, memory: MemoryId) -> Result<LastAnswer, InterviewError> {
    let exists: bool =
        tx.query_row("SELECT EXISTS (SELECT 1 FROM memory WHERE id = ?1)", [memory], |r| r.get(0))?;
    if !exists {
        return Err(crate::graph::GraphError::NotFound { what: "memory", id: memory }.into());
    }
    let events: Vec<String> = {
        let mut stmt = tx.prepare_cached(
            "SELECT DISTINCT e.name_norm FROM mention m JOIN entity e ON e.id = m.entity_id \
             WHERE m.memory_id = ?1 AND e.kind = 'event'",
        )?;
        let rows = stmt.query_map([memory], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    let kinds: Vec<String> = {
        let mut stmt = tx.prepare_cached(
            "SELECT DISTINCT e.kind FROM mention m JOIN entity e ON e.id = m.entity_id WHERE m.memory_id = ?1",
        )?;
        let rows = stmt.query_map([memory], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    let dated: bool = tx.query_row(
        "SELECT about_precision IS NOT NULL FROM memory WHERE id = ?1",
        [memory],
        |r| r.get(0),
    )?;
    let text: String = tx.query_row(
        "SELECT coalesce(group_concat(text, ' '), '') FROM (SELECT text FROM segment WHERE memory_id = ?1 ORDER BY ordinal)",
        [memory],
        |r| r.get(0),
    )?;
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .collect();
    let has =
        |list: &[&str]| {
            list.iter().any(|cue| {
                if cue.contains(' ') {
                    lower.contains(cue)
                } else {
                    words.contains(cue)
                }
            })
        };
    let valence: f64 = tx.query_row(
        "SELECT coalesce(avg(valence), 0) FROM segment WHERE memory_id = ?1 AND valence IS NOT NULL",
        [memory],
        |r| r.get(0),
    )?;
    let painful: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM mention m JOIN entity e ON e.id = m.entity_id WHERE m.memory_id = ?1 \
         AND ((e.kind = 'emotion' AND e.name_norm IN ('grief', 'fear', 'regret', 'anger', 'loneliness')) \
              OR (e.kind = 'event' AND e.name_norm IN ('death', 'funeral', 'illness', 'divorce'))))",
        [memory],
        |r| r.get(0),
    )?;
    let entities = ids(
        tx,
        "SELECT DISTINCT e.id FROM mention m JOIN entity e ON e.id = m.entity_id \
         WHERE m.memory_id = ?1 AND e.merged_into IS NULL AND e.sensitive = 0 ORDER BY e.id",
        memory,
    )?;
    Ok(LastAnswer {
        memory,
        has_place: kinds.iter().any(|k| k == "place"),
        has_period: dated || kinds.iter().any(|k| k == "period"),
        has_person: kinds.iter().any(|k| k == "person"),
        sensory: has(SENSORY),
        voice: has(VOICE),
        valence,
        painful,
        entities,
        events,
    })
}
