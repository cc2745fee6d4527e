//! Reminiscence prompt sets for group and one-to-one sessions (kiosk mode): the interviewer's
//! questions gathered into sets by era (each decade of the person's life, or each stage of life
//! when the birth year is unknown), by theme (the life-story topics), and about the people in
//! their stories. Built from the same graph snapshot and templates as [`super::next_question`],
//! so sensitive people and topics are never raised; a care home's avoid-lists (topics and
//! people, as staff typed them) remove every prompt that touches them; in bereavement mode only
//! gentle themes are offered and people who have died are left for the person to bring up.

use super::snapshot;
use super::templates::{self, TOPICS};
use super::InterviewError;
use crate::graph::{LifeStage, MemoryGraph};
use serde::Serialize;

/// How a set is grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SetGroup {
    Era,
    Theme,
    People,
}

/// A set of prompts on one era, theme or the people in someone's life.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct PromptSet {
    pub group: SetGroup,
    /// "The 1950s", "Your first job", "People in your stories".
    pub title: String,
    pub prompts: Vec<String>,
    /// Whether any story is already told about it (eras and themes).
    pub has_stories: bool,
}

/// What a care home asked never to raise, as staff typed it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AvoidList {
    pub topics: Vec<String>,
    pub people: Vec<String>,
}

// Prompts name people, and avoid-lists name people and painful topics: Debug shows counts.
impl std::fmt::Debug for PromptSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PromptSet")
            .field("group", &self.group)
            .field("prompts", &self.prompts.len())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for AvoidList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AvoidList")
            .field("topics", &self.topics.len())
            .field("people", &self.people.len())
            .finish()
    }
}

impl AvoidList {
    fn phrases(&self) -> Vec<String> {
        self.topics
            .iter()
            .chain(&self.people)
            .map(|p| p.trim().to_lowercase())
            .filter(|p| !p.is_empty())
            .collect()
    }
}

/// Whether `text` mentions `phrase` as whole words (case already folded).
fn mentions(text: &str, phrase: &str) -> bool {
    let is_word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    text.match_indices(phrase).any(|(at, _)| {
        !is_word(text[..at].chars().next_back())
            && !is_word(text[at + phrase.len()..].chars().next())
    })
}

/// Era questions, each tied to the topic whose avoidance removes it.
const ERA_PROMPTS: &[(&str, &str)] = &[
    ("childhood_home", "Where were you living in the {d}s, and who with?"),
    ("music", "What songs or dances do you remember from the {d}s?"),
    ("food", "What was on the table at home in the {d}s?"),
    ("work", "How did you spend your days in the {d}s?"),
    ("holidays", "Where did you go on a day out in the {d}s?"),
];

/// Prompt sets for the owner of `graph`, honouring `avoid`.
pub fn reminiscence_sets(
    graph: &MemoryGraph,
    avoid: &AvoidList,
    now_ms: i64,
) -> Result<Vec<PromptSet>, InterviewError> {
    let s = snapshot::take(graph, None, now_ms)?;
    let phrases = avoid.phrases();
    let clean = |text: &str| {
        let folded = text.to_lowercase();
        !phrases.iter().any(|p| mentions(&folded, p))
    };
    let topic_allowed = |key: &str| {
        let topic = TOPICS.iter().find(|t| t.key == key);
        let words =
            [key.replace('_', " "), topic.map(|t| t.label.to_lowercase()).unwrap_or_default()];
        let sensitive = s.sensitive_topics.contains(key);
        let too_hard = s.bereavement && topic.is_some_and(|t| !t.gentle);
        let avoided =
            phrases.iter().any(|p| words.iter().any(|w| mentions(w, p) || mentions(p, w)));
        !(sensitive || too_hard || avoided)
    };
    let mut sets = Vec::new();
    let mut push = |group, title: String, prompts: Vec<String>, has_stories| {
        let prompts: Vec<String> = prompts.into_iter().filter(|p| clean(p)).collect();
        if !prompts.is_empty() && clean(&title) {
            sets.push(PromptSet { group, title, prompts, has_stories });
        }
    };

    // Eras: each decade lived (from the one they turned five in), or each stage of life.
    if let Some(born) = s.birth_year {
        let first = (born + 5) / 10 * 10;
        for decade in (first..=s.now_year / 10 * 10).step_by(10) {
            let mut prompts = vec![templates::decade(decade)];
            prompts.extend(
                ERA_PROMPTS
                    .iter()
                    .filter(|(topic, _)| topic_allowed(topic))
                    .map(|(_, text)| text.replace("{d}", &decade.to_string())),
            );
            let (from, to) = ((decade - born).max(0), decade + 9 - born);
            let title = format!("The {decade}s (age {from} to {to})");
            push(SetGroup::Era, title, prompts, s.decades.contains(&decade));
        }
    } else {
        for stage in LifeStage::ALL {
            let title = templates::sentence(templates::stage_label(stage));
            push(SetGroup::Era, title, vec![templates::stage(stage)], s.stages.contains(&stage));
        }
    }

    // Themes: the life-story topics.
    for topic in TOPICS.iter().filter(|t| topic_allowed(t.key)) {
        let told = topic.covered_by.iter().any(|e| s.events.contains(*e));
        let prompts = topic.questions.iter().map(|q| q.to_string()).collect();
        push(SetGroup::Theme, templates::sentence(topic.label), prompts, told);
    }

    // People already in their stories, most mentioned first.
    let mut people: Vec<_> = s.people.iter().filter(|p| !(s.bereavement && p.deceased)).collect();
    people.sort_by(|a, b| b.memories.cmp(&a.memories).then(a.id.cmp(&b.id)));
    let prompts: Vec<String> = people
        .iter()
        .filter(|p| clean(&p.name))
        .take(8)
        .map(|p| {
            let who = templates::person_phrase(&p.name, p.relation.as_deref(), p.unnamed);
            templates::describe_person(&who, p.deceased, p.id as usize)
        })
        .collect();
    push(SetGroup::People, "People in your stories".into(), prompts, true);
    Ok(sets)
}

#[cfg(test)]
mod tests {
    use super::mentions;

    #[test]
    fn mentions_whole_words_only() {
        assert!(mentions("what did joan say?", "joan"));
        assert!(!mentions("what did joanna say?", "joan"));
        assert!(mentions("the war years", "the war"));
        assert!(!mentions("software", "war"));
    }
}
