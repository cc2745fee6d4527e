//! Interview sub-object: the next question and why, answers, reminders, and the owner's
//! boundaries (sensitive topics, bereavement mode).

use crate::session::Session;
use crate::ApiError;
use heirloom_core::graph::MemoryDetail;
use heirloom_core::interview::{self, Prompt, Question};
use std::sync::Arc;

/// A life-story topic the owner can mark sensitive.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Topic {
    pub key: String,
    pub label: String,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The interviewer.
#[derive(Debug, uniffi::Object)]
pub struct Interview {
    session: Arc<Session>,
}

impl Interview {
    pub(crate) fn new(session: Arc<Session>) -> Self {
        Self { session }
    }
}

#[uniffi::export]
impl Interview {
    /// The next question, with its reason; `last_answer_memory_id` steers it. The same graph and
    /// seed give the same question.
    pub fn next_question(
        &self,
        last_answer_memory_id: Option<i64>,
        seed: u64,
    ) -> Result<Question, ApiError> {
        self.session.with(|g| interview::next_question(g, last_answer_memory_id, seed, now_ms()))
    }

    /// Records a typed answer as a memory linked to the question.
    pub fn answer_text(&self, question_id: i64, text: String) -> Result<MemoryDetail, ApiError> {
        self.session.with(|g| interview::answer_with_text(g, question_id, &text, now_ms()))
    }

    /// Links a recorded (and transcribed) memory to the question it answers.
    pub fn link_answer(&self, question_id: i64, memory_id: i64) -> Result<(), ApiError> {
        self.session.with(|g| interview::link_answer(g, question_id, memory_id, now_ms()))
    }

    /// The question a memory answered, if any.
    pub fn question_for(&self, memory_id: i64) -> Result<Option<Question>, ApiError> {
        self.session.with(|g| interview::question_for(g, memory_id))
    }

    /// Reminders due now.
    pub fn due_prompts(&self) -> Result<Vec<Prompt>, ApiError> {
        self.session.with(|g| interview::due_prompts(g, now_ms()))
    }

    /// Turns a reminder off for good.
    pub fn suppress_prompt(&self, key: String) -> Result<(), ApiError> {
        self.session.with(|g| interview::suppress_prompt(g, &key))
    }

    pub fn set_bereavement_mode(&self, on: bool) -> Result<(), ApiError> {
        self.session.with(|g| interview::set_bereavement_mode(g, on))
    }

    pub fn bereavement_mode(&self) -> Result<bool, ApiError> {
        self.session.with(interview::bereavement_mode)
    }

    /// Topics the owner can mark sensitive.
    pub fn topics(&self) -> Vec<Topic> {
        interview::topics()
            .into_iter()
            .map(|(key, label)| Topic { key: key.into(), label: label.into() })
            .collect()
    }

    pub fn set_topic_sensitive(&self, topic: String, sensitive: bool) -> Result<(), ApiError> {
        self.session.with(|g| interview::set_topic_sensitive(g, &topic, sensitive))
    }

    pub fn sensitive_topics(&self) -> Result<Vec<String>, ApiError> {
        self.session.with(interview::sensitive_topics)
    }
}
