//! The interviewer: given the memory graph and the last answer, the next good question and why
//! it is asked — a name never described, a person with no relation, era or place, a decade or
//! stage of life with no stories, a universal life-story topic not yet told, a thread that keeps
//! coming back, a detail the last story left out (what it smelled like, where, when, who).
//!
//! Grief-aware: a deceased person's birth or death date is never asked; people and topics the
//! owner marked sensitive are never raised; after a sad answer the next question is a soft one,
//! and in bereavement mode the interviewer offers a pause and asks fewer questions.
//! Deterministic: the same graph and seed give the same question. Offline: templates, not a
//! language model.

mod candidates;
mod prompts;
mod reminiscence;
mod snapshot;
mod store;
mod templates;

#[cfg(test)]
mod tests;

pub use prompts::{Prompt, PromptKind};
pub use reminiscence::{reminiscence_sets, AvoidList, PromptSet, SetGroup};

use crate::graph::{EntityId, GraphError, MemoryDetail, MemoryGraph, MemoryId};
use serde::{Deserialize, Serialize};

/// Why the interviewer asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonKind {
    /// The very first question, on an empty graph.
    Opening,
    /// A detail the last story left out: senses, voice, place, people, era.
    MemoryDetail,
    /// A person, place or event that keeps coming back.
    DeepenThread,
    /// A name mentioned but never described.
    UndescribedPerson,
    /// A person with no relation, era or place yet.
    PersonDetail,
    /// A decade of the owner's life with no stories.
    DecadeGap,
    /// A stage of life with no stories.
    LifeStageGap,
    /// A life-story topic not yet told.
    UniversalTopic,
    /// A pause offered after a sad answer in bereavement mode.
    Pause,
}

/// A question to put to the owner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    /// Row id once asked (every question returned by [`next_question`] is recorded).
    pub id: i64,
    /// Stable key of what is asked ("person:12:describe"): the same key is not asked twice.
    pub key: String,
    pub text: String,
    /// Why this question, in words the app can show.
    pub reason: String,
    pub reason_kind: ReasonKind,
    pub entity_id: Option<EntityId>,
    pub memory_id: Option<MemoryId>,
    /// Asked softly (after a sad answer, or in bereavement mode).
    pub gentle: bool,
}

/// An interview step failed. Never carries the owner's words.
#[derive(Debug, thiserror::Error)]
pub enum InterviewError {
    #[error("question {id} not found")]
    QuestionNotFound { id: i64 },
    #[error("invalid input: {reason}")]
    InvalidInput { reason: &'static str },
    #[error(transparent)]
    Graph(#[from] GraphError),
}

impl From<crate::store::StoreError> for InterviewError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Graph(e.into())
    }
}

impl From<rusqlite::Error> for InterviewError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Graph(e.into())
    }
}

/// Proposes, records and returns the next question. `last_answer` is the memory that answered
/// the previous question (its gaps and mood steer this one); `seed` varies the choice among
/// equally good questions and the wording, deterministically. `now_ms` is the clock.
pub fn next_question(
    graph: &MemoryGraph,
    last_answer: Option<MemoryId>,
    seed: u64,
    now_ms: i64,
) -> Result<Question, InterviewError> {
    let snapshot = snapshot::take(graph, last_answer, now_ms)?;
    let question = candidates::choose(&snapshot, seed);
    store::record_asked(graph, question, now_ms)
}

/// Records `text` as the answer to question `question`: a new typed memory, linked to it, read
/// for facts. Returns the memory.
pub fn answer_with_text(
    graph: &MemoryGraph,
    question: i64,
    text: &str,
    now_ms: i64,
) -> Result<MemoryDetail, InterviewError> {
    let asked = store::load_question(graph, question)?;
    let title = templates::answer_title(&asked.text);
    let detail = graph.add_text_memory(&title, text, None)?;
    store::link_answer(graph, question, detail.memory.id, now_ms)?;
    Ok(detail)
}

/// Links an existing memory (a recorded, transcribed answer) to question `question`.
pub fn link_answer(
    graph: &MemoryGraph,
    question: i64,
    memory: MemoryId,
    now_ms: i64,
) -> Result<(), InterviewError> {
    graph.memory(memory)?;
    store::load_question(graph, question)?;
    store::link_answer(graph, question, memory, now_ms)
}

/// The question a memory answered, if any.
pub fn question_for(
    graph: &MemoryGraph,
    memory: MemoryId,
) -> Result<Option<Question>, InterviewError> {
    store::question_answered_by(graph, memory)
}

/// Turns bereavement mode on or off: a pause after sad answers, fewer and softer questions.
pub fn set_bereavement_mode(graph: &MemoryGraph, on: bool) -> Result<(), InterviewError> {
    store::set_setting(graph, "bereavement_mode", if on { "1" } else { "0" })
}

/// Whether bereavement mode is on.
pub fn bereavement_mode(graph: &MemoryGraph) -> Result<bool, InterviewError> {
    Ok(store::setting(graph, "bereavement_mode")?.as_deref() == Some("1"))
}

/// Life-story topics the owner can mark sensitive, by key ("war", "divorce", …).
pub fn topics() -> Vec<(&'static str, &'static str)> {
    templates::TOPICS.iter().map(|t| (t.key, t.label)).collect()
}

/// Marks a topic sensitive (never raised) or clears it. Unknown topic keys are refused.
pub fn set_topic_sensitive(
    graph: &MemoryGraph,
    topic: &str,
    sensitive: bool,
) -> Result<(), InterviewError> {
    if !templates::TOPICS.iter().any(|t| t.key == topic) {
        return Err(InterviewError::InvalidInput { reason: "unknown topic" });
    }
    store::set_topic_sensitive(graph, topic, sensitive)
}

/// Topics marked sensitive.
pub fn sensitive_topics(graph: &MemoryGraph) -> Result<Vec<String>, InterviewError> {
    store::sensitive_topics(graph)
}

/// Reminders due at `now_ms`: anniversaries of dated memories, stories told on this day in
/// earlier years, questions left unanswered, and a gentle weekly prompt. Never about sensitive
/// people or topics; suppressed prompts stay away.
pub fn due_prompts(graph: &MemoryGraph, now_ms: i64) -> Result<Vec<Prompt>, InterviewError> {
    prompts::due(graph, now_ms)
}

/// Turns a prompt off for good (by its key).
pub fn suppress_prompt(graph: &MemoryGraph, key: &str) -> Result<(), InterviewError> {
    if key.is_empty() || key.len() > 200 {
        return Err(InterviewError::InvalidInput { reason: "prompt key" });
    }
    store::suppress_prompt(graph, key)
}
