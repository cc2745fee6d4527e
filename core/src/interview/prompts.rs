//! Proactive prompts: anniversaries of dated memories, stories told on this day in earlier
//! years, questions left unanswered, and a gentle weekly nudge. Each has a stable key the owner
//! can suppress; none is about a sensitive person or topic.

use super::snapshot::civil;
use super::store;
use super::templates::TOPICS;
use super::InterviewError;
use crate::graph::{MemoryGraph, MemoryId};
use serde::{Deserialize, Serialize};

/// What a prompt is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptKind {
    Anniversary,
    OnThisDay,
    UnansweredQuestion,
    Weekly,
}

/// A reminder for the owner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prompt {
    /// Stable: pass it to `suppress_prompt` to turn this reminder off.
    pub key: String,
    pub kind: PromptKind,
    pub text: String,
    pub memory_id: Option<MemoryId>,
    pub question_id: Option<i64>,
}

const DAY_MS: i64 = 86_400_000;

/// id, title, date precision, date start (yyyymmdd), told at, touches something sensitive.
type MemoryRow = (MemoryId, String, Option<String>, Option<i64>, i64, bool);

pub(crate) fn due(graph: &MemoryGraph, now_ms: i64) -> Result<Vec<Prompt>, InterviewError> {
    let suppressed = store::suppressed(graph)?;
    let sensitive_topics = store::sensitive_topics(graph)?;
    let avoided_events: Vec<&str> = TOPICS
        .iter()
        .filter(|t| sensitive_topics.iter().any(|s| s == t.key))
        .flat_map(|t| t.covered_by.iter().copied())
        .collect();
    let (year, month, day) = civil(now_ms);
    let today = i64::from(month) * 100 + i64::from(day);
    let mut prompts = Vec::new();
    let rows: Vec<MemoryRow> = graph.database().read(|tx| {
        let mut stmt = tx.prepare_cached(
            "SELECT m.id, m.title, m.about_precision, m.about_from, m.told_at_ms, \
               EXISTS (SELECT 1 FROM mention x JOIN entity e ON e.id = x.entity_id WHERE x.memory_id = m.id \
                       AND (e.sensitive = 1 OR (e.kind = 'event' AND e.name_norm IN (SELECT value FROM json_each(?1))))) \
             FROM memory m ORDER BY m.id",
        )?;
        let avoided = serde_json::to_string(&avoided_events).unwrap_or_else(|_| "[]".into());
        let rows = stmt.query_map([avoided], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?;
        Ok::<_, InterviewError>(rows.collect::<Result<Vec<_>, _>>()?)
    })?;
    let mut newest_told = None::<i64>;
    for (id, title, precision, from, told_at, sensitive) in &rows {
        newest_told = Some(newest_told.map_or(*told_at, |n: i64| n.max(*told_at)));
        if *sensitive {
            continue;
        }
        if precision.as_deref() == Some("day") {
            if let Some(from) = from {
                let (then, md) = ((from / 10_000) as i32, from % 10_000);
                if md == today && then < year {
                    prompts.push(Prompt {
                        key: format!("anniversary:{id}"),
                        kind: PromptKind::Anniversary,
                        text: format!("{} years ago today: \u{201c}{title}\u{201d}. Would you like to tell more about that day?", year - then),
                        memory_id: Some(*id),
                        question_id: None,
                    });
                }
            }
        }
        let (told_year, told_month, told_day) = civil(*told_at);
        if told_month == month && told_day == day && told_year < year {
            prompts.push(Prompt {
                key: format!("on_this_day:{id}"),
                kind: PromptKind::OnThisDay,
                text: format!(
                    "On this day in {told_year} you told the story \u{201c}{title}\u{201d}."
                ),
                memory_id: Some(*id),
                question_id: None,
            });
        }
    }
    let sensitive_people: Vec<i64> = graph.database().read(|tx| {
        let mut stmt = tx.prepare_cached("SELECT id FROM entity WHERE sensitive = 1")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok::<_, InterviewError>(rows.collect::<Result<Vec<_>, _>>()?)
    })?;
    if let Some((question, _)) = store::unanswered(graph)?.into_iter().rev().find(|(q, asked)| {
        let age = now_ms - asked;
        let topic_avoided =
            sensitive_topics.iter().any(|t| q.key.starts_with(&format!("topic:{t}:")));
        (DAY_MS..=60 * DAY_MS).contains(&age)
            && !topic_avoided
            && q.entity_id.is_none_or(|e| !sensitive_people.contains(&e))
    }) {
        prompts.push(Prompt {
            key: format!("unanswered:{}", question.id),
            kind: PromptKind::UnansweredQuestion,
            text: format!(
                "Last time I asked: \u{201c}{}\u{201d} Would you like to answer it now?",
                question.text
            ),
            memory_id: None,
            question_id: Some(question.id),
        });
    }
    if newest_told.is_none_or(|t| now_ms - t >= 7 * DAY_MS) {
        prompts.push(Prompt {
            key: "weekly".into(),
            kind: PromptKind::Weekly,
            text: "It has been a little while. Would you like to tell a story today? Any memory is welcome.".into(),
            memory_id: None,
            question_id: None,
        });
    }
    prompts.retain(|p| !suppressed.contains(&p.key));
    Ok(prompts)
}
