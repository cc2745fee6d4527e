//! The interviewer against a real graph with the real extractor.

use super::*;
use crate::graph::{EntityAttributes, EntityKind, EntityQuery, OwnerProfile};

const DAY: i64 = 86_400_000;
/// 2026-11-22T12:00:00Z
const NOW: i64 = 1_795_348_800_000;

struct Fixture {
    _dir: tempfile::TempDir,
    graph: MemoryGraph,
}

fn fixture() -> Fixture {
    let (_dir, graph) = crate::graph::test_graph_with_extractor();
    Fixture { _dir, graph }
}

fn tell(g: &MemoryGraph, text: &str) -> MemoryId {
    g.add_text_memory("a memory", text, None).expect("memory").memory.id
}

fn person_id(g: &MemoryGraph, name: &str) -> i64 {
    g.list_entities(&EntityQuery { kind: Some(EntityKind::Person), name: Some(name.into()) })
        .expect("people")[0]
        .id
}

fn candidates(g: &MemoryGraph, last: Option<MemoryId>) -> Vec<(String, String, Option<i64>)> {
    let snapshot = snapshot::take(g, last, NOW).expect("snapshot");
    candidates::all_texts(&snapshot, 7)
}

const PRONOUNS: &[&str] = &["he", "she", "him", "her", "his", "hers", "himself", "herself"];

fn assert_well_formed(text: &str) {
    assert!(text.chars().next().is_some_and(char::is_uppercase), "{text:?}");
    assert!(text.ends_with('?') || text.ends_with('.'), "{text:?}");
    assert!(!text.contains("  ") && !text.contains('{') && !text.contains("your your"), "{text:?}");
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        assert!(!PRONOUNS.contains(&word.to_lowercase().as_str()), "pronoun in {text:?}");
    }
}

#[test]
fn an_empty_graph_opens_the_story() {
    let f = fixture();
    let q = next_question(&f.graph, None, 1, NOW).expect("question");
    assert_eq!(q.reason_kind, ReasonKind::Opening);
    assert!(q.id > 0 && !q.reason.is_empty());
    assert_well_formed(&q.text);
}

#[test]
fn names_never_described_and_details_left_out_are_asked() {
    let f = fixture();
    let id = tell(&f.graph, "My friend Adaeze and I sold fabric in the market.");
    let all = candidates(&f.graph, Some(id));
    let adaeze = person_id(&f.graph, "Adaeze");
    assert!(
        all.iter()
            .any(|(k, t, _)| k == &format!("person:{adaeze}:describe") && t.contains("Adaeze")),
        "{all:?}"
    );
    assert!(all.iter().any(|(k, _, _)| k == &format!("memory:{id}:era")), "the story has no date");
    assert!(all.iter().any(|(k, _, _)| k.starts_with("topic:food")));
    for (_, text, _) in &all {
        assert_well_formed(text);
    }
    // The best question is about the last answer.
    let q = next_question(&f.graph, Some(id), 3, NOW).expect("question");
    assert!(
        matches!(q.reason_kind, ReasonKind::MemoryDetail | ReasonKind::UndescribedPerson),
        "{q:?}"
    );
}

#[test]
fn relation_words_fill_the_templates() {
    let f = fixture();
    tell(&f.graph, "My grandmother kept bees. Uncle Joe fixed radios. Tomasz and I went fishing. My late husband Tom loved the sea.");
    let texts: Vec<String> = candidates(&f.graph, None).into_iter().map(|(_, t, _)| t).collect();
    assert!(texts.iter().any(|t| t.contains("your grandmother")), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("your uncle Joe")), "{texts:?}");
    assert!(texts.iter().any(|t| t == "How did you know Tomasz?"), "{texts:?}");
    for text in &texts {
        assert_well_formed(text);
    }
}

#[test]
fn a_deceased_persons_dates_are_never_asked() {
    let f = fixture();
    tell(&f.graph, "My late husband Tom loved the sea.");
    let tom = person_id(&f.graph, "Tom");
    let about_tom: Vec<String> = candidates(&f.graph, None)
        .into_iter()
        .filter(|(_, _, e)| *e == Some(tom))
        .map(|(_, t, _)| t)
        .collect();
    assert!(!about_tom.is_empty());
    for text in about_tom {
        let lower = text.to_lowercase();
        for word in ["born", "birth", "died", "death", "pass", "funeral", "when did"] {
            assert!(!lower.contains(word), "{text:?}");
        }
    }
}

#[test]
fn sensitive_people_and_topics_are_never_raised() {
    let f = fixture();
    let id = tell(&f.graph, "My brother Kwame served in the army. My friend Ama sang at church.");
    let kwame = person_id(&f.graph, "Kwame");
    f.graph
        .set_entity_attributes(
            kwame,
            &EntityAttributes {
                relation_to_owner: Some("brother".into()),
                sensitive: true,
                ..Default::default()
            },
        )
        .expect("sensitive");
    set_topic_sensitive(&f.graph, "war", true).expect("topic");
    assert!(set_topic_sensitive(&f.graph, "no such topic", true).is_err());
    for (key, text, entity) in candidates(&f.graph, Some(id)) {
        assert_ne!(entity, Some(kwame), "{key}");
        assert!(!text.contains("Kwame") && !key.starts_with("topic:war"), "{key}: {text}");
        assert!(
            !key.starts_with(&format!("memory:{id}:")),
            "a story about war service is not pried into: {key}"
        );
    }
    for seed in 0..30 {
        let q = next_question(&f.graph, None, seed, NOW + seed as i64).expect("question");
        assert!(!q.text.contains("Kwame") && q.entity_id != Some(kwame));
    }
}

#[test]
fn the_same_graph_and_seed_give_the_same_questions_without_repeats() {
    let run = |seed: u64| -> Vec<String> {
        let f = fixture();
        tell(&f.graph, "Grandma Rosa made gnocchi in Naples in 1962.");
        tell(&f.graph, "My friend Adaeze and I sold fabric in Lagos.");
        (0..12).map(|i| next_question(&f.graph, None, seed, NOW + i).expect("q").key).collect()
    };
    let a = run(42);
    assert_eq!(a, run(42));
    let unique: std::collections::BTreeSet<&String> = a.iter().collect();
    assert_eq!(unique.len(), a.len(), "a question came back: {a:?}");
}

#[test]
fn sad_answers_get_gentle_questions_and_bereavement_mode_pauses() {
    let f = fixture();
    let sad = tell(
        &f.graph,
        "My husband Tom died in the spring. I cried for weeks, it was the saddest time of my life.",
    );
    let q = next_question(&f.graph, Some(sad), 5, NOW).expect("question");
    assert!(q.gentle, "{q:?}");
    set_bereavement_mode(&f.graph, true).expect("mode");
    assert!(bereavement_mode(&f.graph).expect("mode"));
    let pause = next_question(&f.graph, Some(sad), 5, NOW + 1).expect("pause");
    assert_eq!(pause.reason_kind, ReasonKind::Pause);
    let after = next_question(&f.graph, Some(sad), 5, NOW + 2).expect("after the pause");
    assert_ne!(after.reason_kind, ReasonKind::Pause);
    assert!(after.gentle);
    // Fewer questions: after three in an hour, a pause again.
    let happy = tell(&f.graph, "We danced all night at the festival, I was so happy.");
    let kinds: Vec<ReasonKind> = (3..7)
        .map(|i| next_question(&f.graph, Some(happy), 5, NOW + i).expect("q").reason_kind)
        .collect();
    assert!(kinds.contains(&ReasonKind::Pause), "{kinds:?}");
}

#[test]
fn decades_and_stages_without_stories_are_asked() {
    let f = fixture();
    f.graph
        .set_profile(&OwnerProfile { birth_year: Some(1940), ..Default::default() })
        .expect("profile");
    tell(&f.graph, "In 1955 we moved to the coast.");
    tell(&f.graph, "In 1963 I started at the mill.");
    let keys: Vec<String> = candidates(&f.graph, None).into_iter().map(|(k, _, _)| k).collect();
    assert!(keys.contains(&"decade:1970".to_string()), "{keys:?}");
    assert!(!keys.contains(&"decade:1950".to_string()));
    assert!(keys.contains(&"stage:later_life".to_string()), "{keys:?}");
}

#[test]
fn answers_are_memories_linked_to_their_question() {
    let f = fixture();
    let q = next_question(&f.graph, None, 1, NOW).expect("question");
    let answer =
        answer_with_text(&f.graph, q.id, "I was born in Kraków in 1941.", NOW + 1).expect("answer");
    let linked = question_for(&f.graph, answer.memory.id).expect("link").expect("question");
    assert_eq!(linked.id, q.id);
    assert!(!f.graph.memory_facts(answer.memory.id).expect("facts").is_empty());
    assert!(matches!(
        answer_with_text(&f.graph, 9999, "x", NOW),
        Err(InterviewError::QuestionNotFound { .. })
    ));
}

#[test]
fn prompts_remember_anniversaries_and_can_be_turned_off() {
    let f = fixture();
    let wedding = f
        .graph
        .add_text_memory(
            "Our wedding day",
            "We married at St Mary's.",
            Some(crate::graph::AboutWhen::Day { year: 1962, month: 11, day: 22 }),
        )
        .expect("memory")
        .memory
        .id;
    let q = next_question(&f.graph, None, 1, NOW).expect("question");
    let later = NOW + 8 * DAY + 3_600_000;
    let prompts = due_prompts(&f.graph, NOW + 365 * DAY).expect("prompts");
    assert!(
        prompts.iter().any(|p| p.kind == PromptKind::Anniversary && p.memory_id == Some(wedding)),
        "{prompts:?}"
    );
    let prompts = due_prompts(&f.graph, later).expect("prompts");
    assert!(prompts.iter().any(|p| p.kind == PromptKind::Weekly));
    assert!(prompts
        .iter()
        .any(|p| p.kind == PromptKind::UnansweredQuestion && p.question_id == Some(q.id)));
    suppress_prompt(&f.graph, "weekly").expect("suppress");
    assert!(!due_prompts(&f.graph, later)
        .expect("prompts")
        .iter()
        .any(|p| p.kind == PromptKind::Weekly));
    // A memory about a sensitive person is never brought up.
    let secret = tell(&f.graph, "My brother Kwame left home.");
    let kwame = person_id(&f.graph, "Kwame");
    f.graph
        .set_entity_attributes(kwame, &EntityAttributes { sensitive: true, ..Default::default() })
        .expect("sensitive");
    let year_later = due_prompts(&f.graph, NOW + 365 * DAY).expect("prompts");
    assert!(!year_later.iter().any(|p| p.memory_id == Some(secret)), "{year_later:?}");
}
