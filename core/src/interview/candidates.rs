//! Every question worth asking now, scored, and the choice among the best: deterministic for a
//! graph and seed, never a question already asked while others remain.

use super::snapshot::{stage_at, Snapshot};
use super::templates::{self, person_phrase, TOPICS};
use super::{Question, ReasonKind};
use crate::graph::{EntityKind, LifeStage};

struct Candidate {
    key: String,
    text: String,
    reason: String,
    kind: ReasonKind,
    entity: Option<i64>,
    memory: Option<i64>,
    score: f64,
    gentle: bool,
}

/// SplitMix64: a small, well-mixed, dependency-free generator; enough for choosing wordings.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn key_hash(key: &str) -> u64 {
    key.bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Topic keys an event kind belongs to, for honouring sensitive topics.
fn topics_of_event(event: &str) -> impl Iterator<Item = &'static str> + '_ {
    TOPICS.iter().filter(move |t| t.covered_by.contains(&event)).map(|t| t.key)
}

fn gather(s: &Snapshot, seed: u64) -> Vec<Candidate> {
    let variant = |key: &str| (mix(seed ^ key_hash(key)) % 16) as usize;
    let mut out = Vec::new();
    let mut push =
        |key: String, text: String, reason: String, kind, entity, memory, score, gentle| {
            out.push(Candidate { key, text, reason, kind, entity, memory, score, gentle });
        };
    if s.memory_count == 0 {
        for (i, text) in templates::OPENINGS.iter().enumerate() {
            let key = format!("opening:{i}");
            push(
                key,
                text.to_string(),
                "A place to begin your story.".into(),
                ReasonKind::Opening,
                None,
                None,
                1.0 - i as f64 * 0.01,
                true,
            );
        }
    }
    let avoided_by_topic =
        |event: &str| topics_of_event(event).any(|t| s.sensitive_topics.contains(t));
    // The last answer: what it left out, and the people and threads in it.
    if let Some(last) = &s.last {
        let sensitive = last.events.iter().any(|e| avoided_by_topic(e));
        if !sensitive {
            let lacks = [
                ("place", !last.has_place, true, "Your last story did not say where it happened."),
                ("era", !last.has_period, false, "Your last story did not say when it happened."),
                ("people", !last.has_person, true, "Your last story did not say who was there."),
                (
                    "sensory",
                    !last.sensory,
                    true,
                    "Details like sounds and smells bring a story to life.",
                ),
                ("voice", !last.voice, false, "The words people used help others hear them."),
            ];
            for (i, (missing, lacking, gentle, reason)) in lacks.into_iter().enumerate() {
                if lacking {
                    let key = format!("memory:{}:{missing}", last.memory);
                    let text = templates::detail(missing, variant(&key));
                    push(
                        key,
                        text,
                        reason.into(),
                        ReasonKind::MemoryDetail,
                        None,
                        Some(last.memory),
                        0.9 - i as f64 * 0.02,
                        gentle,
                    );
                }
            }
        }
    }
    let in_last = |id: i64| s.last.as_ref().is_some_and(|l| l.entities.contains(&id));
    for thread in &s.threads {
        if thread.kind == EntityKind::Event && avoided_by_topic(&thread.name.replace(' ', "_")) {
            continue;
        }
        let name = if thread.kind == EntityKind::Person {
            person_phrase(&thread.name, thread.relation.as_deref(), thread.unnamed)
        } else {
            thread.name.clone()
        };
        let key = format!("thread:{}:{}", thread.id, thread.memories);
        let text = templates::deepen(&name, thread.memories, variant(&key));
        let reason = format!("This comes up in {} of your stories.", thread.memories);
        let score = if in_last(thread.id) { 0.85 } else { 0.55 };
        push(key, text, reason, ReasonKind::DeepenThread, Some(thread.id), None, score, false);
        if thread.kind == EntityKind::Person && in_last(thread.id) {
            let key = format!("comfort:{}", thread.id);
            push(
                key,
                templates::gentle_person(&name),
                "A gentle way to remember someone.".into(),
                ReasonKind::DeepenThread,
                Some(thread.id),
                None,
                0.3,
                true,
            );
        }
    }
    for p in &s.people {
        let who = person_phrase(&p.name, p.relation.as_deref(), p.unnamed);
        let boost = if in_last(p.id) { 0.15 } else { 0.0 };
        if p.memories <= 1 {
            let key = format!("person:{}:describe", p.id);
            let text = templates::describe_person(&who, p.deceased, variant(&key));
            let reason =
                "You mentioned this person once but have not told much about them.".to_string();
            push(
                key,
                text,
                reason,
                ReasonKind::UndescribedPerson,
                Some(p.id),
                None,
                0.7 + boost,
                false,
            );
        }
        if p.relation.is_none() {
            let key = format!("person:{}:relation", p.id);
            push(
                key,
                templates::ask_relation(&who),
                "We don't know yet how this person fits in your life.".into(),
                ReasonKind::PersonDetail,
                Some(p.id),
                None,
                0.6 + boost,
                false,
            );
        }
        if !p.has_era {
            let key = format!("person:{}:era", p.id);
            push(
                key,
                templates::ask_era(&who, p.deceased),
                "Your stories don't yet say when this person was part of your life.".into(),
                ReasonKind::PersonDetail,
                Some(p.id),
                None,
                0.5 + boost,
                false,
            );
        }
        if !p.has_place {
            let key = format!("person:{}:place", p.id);
            push(
                key,
                templates::ask_place(&who),
                "Your stories don't yet place this person anywhere.".into(),
                ReasonKind::PersonDetail,
                Some(p.id),
                None,
                0.45 + boost,
                false,
            );
        }
        if in_last(p.id) {
            let key = format!("comfort:{}", p.id);
            push(
                key,
                templates::gentle_person(&who),
                "A gentle way to remember someone.".into(),
                ReasonKind::UndescribedPerson,
                Some(p.id),
                None,
                0.3,
                true,
            );
        }
    }
    // Decades of the owner's life (or between their dated stories) with no stories.
    let decades: Vec<i32> = match (s.birth_year, s.span) {
        (Some(born), _) => ((born + 5) / 10 * 10..=s.now_year / 10 * 10).step_by(10).collect(),
        (None, Some((a, b))) if b / 10 > a / 10 => {
            (a / 10 * 10..=b / 10 * 10).step_by(10).collect()
        }
        _ => Vec::new(),
    };
    for (i, d) in decades.iter().enumerate() {
        if !s.decades.contains(d) {
            let key = format!("decade:{d}");
            let reason = format!("You have no stories from the {d}s yet.");
            push(
                key,
                templates::decade(*d),
                reason,
                ReasonKind::DecadeGap,
                None,
                None,
                0.5 - i as f64 * 0.005,
                false,
            );
        }
    }
    let reachable: Vec<LifeStage> = match s.birth_year {
        Some(born) => {
            let age = s.now_year - born;
            crate::graph::LifeStage::ALL.iter().copied().filter(|st| *st <= stage_at(age)).collect()
        }
        None => vec![LifeStage::Childhood, LifeStage::Adolescence, LifeStage::YoungAdulthood],
    };
    for stage in reachable {
        if !s.stages.contains(&stage) {
            let key = format!("stage:{}", stage.as_str());
            let reason = format!("You have no stories from {} yet.", templates::stage_label(stage));
            push(
                key,
                templates::stage(stage),
                reason,
                ReasonKind::LifeStageGap,
                None,
                None,
                0.48,
                stage <= LifeStage::Childhood,
            );
        }
    }
    for topic in TOPICS {
        if s.sensitive_topics.contains(topic.key)
            || topic.covered_by.iter().any(|e| s.events.contains(*e))
        {
            continue;
        }
        for (i, text) in topic.questions.iter().enumerate() {
            let key = format!("topic:{}:{i}", topic.key);
            let reason = format!("Many life stories include {}; yours doesn't yet.", topic.label);
            push(
                key,
                text.to_string(),
                reason,
                ReasonKind::UniversalTopic,
                None,
                None,
                0.4 - i as f64 * 0.01,
                topic.gentle,
            );
        }
    }
    out
}

/// The next question (not yet recorded: `id` is 0).
pub(crate) fn choose(s: &Snapshot, seed: u64) -> Question {
    let sad = s.last.as_ref().is_some_and(|l| l.painful || l.valence < -0.3);
    let asked_lately = s.recent.iter().filter(|(k, _)| *k != ReasonKind::Pause).count();
    let just_paused = s.recent.first().is_some_and(|(k, _)| *k == ReasonKind::Pause);
    if s.bereavement && !just_paused && (sad || asked_lately >= 3) {
        let memory = s.last.as_ref().map(|l| l.memory);
        return Question {
            id: 0,
            key: format!("pause:{}:{}", memory.unwrap_or(0), s.asked_count),
            text: templates::PAUSE.to_string(),
            reason: if sad {
                "That was a hard memory to share; there is no hurry.".into()
            } else {
                "A few questions is plenty for one sitting.".into()
            },
            reason_kind: ReasonKind::Pause,
            entity_id: None,
            memory_id: memory,
            gentle: true,
        };
    }
    let gentle_only = sad || s.bereavement;
    let mut candidates = gather(s, seed);
    if gentle_only {
        candidates.retain(|c| c.gentle);
    }
    let fresh: Vec<&Candidate> =
        candidates.iter().filter(|c| !s.asked.contains_key(&c.key)).collect();
    let pool: Vec<&Candidate> = if fresh.is_empty() {
        // Everything was asked once: go back to what was asked longest ago.
        let oldest = candidates.iter().filter_map(|c| s.asked.get(&c.key)).min().copied();
        candidates
            .iter()
            .filter(|c| oldest.is_some_and(|o| s.asked.get(&c.key) == Some(&o)))
            .collect()
    } else {
        fresh
    };
    let mut pool = pool;
    pool.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.key.cmp(&b.key)));
    let best = pool.first().map_or(0.0, |c| c.score);
    let tier: Vec<&&Candidate> =
        pool.iter().take_while(|c| c.score >= best - 0.1).take(4).collect();
    match tier.get((mix(seed ^ u64::from(s.asked_count)) % tier.len().max(1) as u64) as usize) {
        Some(c) => Question {
            id: 0,
            key: c.key.clone(),
            text: c.text.clone(),
            reason: c.reason.clone(),
            reason_kind: c.kind,
            entity_id: c.entity,
            memory_id: c.memory,
            gentle: gentle_only || c.gentle,
        },
        None => {
            let i =
                (mix(seed ^ u64::from(s.asked_count)) % templates::COMFORT.len() as u64) as usize;
            Question {
                id: 0,
                key: format!("comfort:{i}:{}", s.asked_count),
                text: templates::COMFORT[i].to_string(),
                reason: "A gentle question, at your pace.".into(),
                reason_kind: ReasonKind::UniversalTopic,
                entity_id: None,
                memory_id: None,
                gentle: true,
            }
        }
    }
}

#[cfg(test)]
pub(crate) fn all_texts(s: &Snapshot, seed: u64) -> Vec<(String, String, Option<i64>)> {
    gather(s, seed).into_iter().map(|c| (c.key, c.text, c.entity)).collect()
}
