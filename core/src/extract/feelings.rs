//! Events ("we got married", "the funeral") and emotions ("I was so proud"), from our curated
//! phrase lists, and each segment's valence from VADER's word list.

use super::lexicon::Lexicon;
use super::vocab::{EMOTION_PHRASES, EVENT_PHRASES, MOVE_VERBS, NEGATIONS};
use super::{EventKind, Fact, FactSpan, Hit, Segment};

/// The longest phrase of `phrases` spelled at `at`: (value, words used).
fn phrase_at<T: Copy>(
    segment: &Segment<'_>,
    at: usize,
    phrases: &[(&str, T)],
) -> Option<(T, usize)> {
    phrases
        .iter()
        .filter_map(|(phrase, value)| segment.spells(at, phrase).map(|n| (*value, n)))
        .max_by_key(|(_, n)| *n)
}

fn negated(segment: &Segment<'_>, at: usize) -> bool {
    (at.saturating_sub(3)..at).any(|i| {
        let word = segment.norm(i);
        // "I have never been so frightened" says the opposite of a negation.
        let intensifier = word == "never" && matches!(segment.norm(i + 1), "been" | "felt" | "was");
        (NEGATIONS.contains(&word) || word.ends_with("n't")) && !intensifier
    })
}

/// A move between places in two countries is an emigration: "we moved from Guadalajara to San
/// Antonio", "came to Leicester from Ahmedabad".
pub(crate) fn emigration(hits: &mut Vec<Hit>, segments: &[Segment<'_>]) {
    let mut countries: Vec<&str> = hits
        .iter()
        .filter_map(|h| match &h.fact {
            Fact::Place { country: Some(c), .. } => Some(c.as_str()),
            _ => None,
        })
        .collect();
    countries.sort_unstable();
    countries.dedup();
    if countries.len() < 2 {
        return;
    }
    let moving =
        segments.iter().flat_map(|s| s.words.iter()).find(|w| MOVE_VERBS.contains(&w.key.as_str()));
    let already =
        hits.iter().any(|h| matches!(h.fact, Fact::Event { event: EventKind::Emigration }));
    let moved = hits.iter().position(|h| matches!(h.fact, Fact::Event { event: EventKind::Move }));
    match (moved, moving, already) {
        (Some(m), _, _) => hits[m].fact = Fact::Event { event: EventKind::Emigration },
        (None, Some(word), false) => {
            let Some(segment) =
                segments.iter().find(|s| s.words.iter().any(|w| std::ptr::eq(w, word)))
            else {
                return;
            };
            let span =
                FactSpan { segment: segment.index, char_start: word.start, char_end: word.end };
            let at = segment.words.iter().position(|w| std::ptr::eq(w, word)).unwrap_or(0);
            hits.push(Hit {
                fact: Fact::Event { event: EventKind::Emigration },
                span,
                words: (at, at + 1),
                confidence: 0.6,
                introduced: false,
            });
        }
        _ => {}
    }
    hits.retain(|h| !matches!(h.fact, Fact::Event { event: EventKind::Move }));
}

pub(crate) fn events(segment: &mut Segment<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    let mut i = 0;
    while i < segment.words.len() {
        // "my first day at primary school"
        if segment.spells(i, "first day").is_some() {
            if let Some(school) = (i + 2..i + 6).find(|&k| segment.norm(k) == "school") {
                hits.push(segment.hit(
                    Fact::Event { event: EventKind::SchoolStart },
                    i,
                    school + 1,
                    0.7,
                ));
                i = school + 1;
                continue;
            }
        }
        let Some((event, n)) = phrase_at(segment, i, EVENT_PHRASES) else {
            i += 1;
            continue;
        };
        // "it moved me to tears", "sick of it", "I never married".
        let next = segment.norm(i + n);
        let skip = match event {
            super::EventKind::Move => matches!(next, "me" | "us" | "him" | "her" | "them"),
            super::EventKind::Illness => next == "of",
            _ => false,
        } || negated(segment, i);
        if !skip {
            hits.push(segment.hit(Fact::Event { event }, i, i + n, 0.7));
        }
        i += n;
    }
    hits
}

pub(crate) fn emotions(segment: &mut Segment<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    let mut i = 0;
    while i < segment.words.len() {
        let Some((emotion, n)) = phrase_at(segment, i, EMOTION_PHRASES) else {
            i += 1;
            continue;
        };
        let love_to = segment.norm(i) == "love" && segment.norm(i + 1) == "to";
        if !negated(segment, i) && !love_to {
            hits.push(segment.hit(Fact::Emotion { emotion }, i, i + n, 0.7));
        }
        i += n;
    }
    hits
}

/// VADER-style compound valence of a segment, -1..=1: word valences summed (a negation within
/// three words flips and damps a word, as VADER does) and squashed by `x / sqrt(x² + 15)`.
pub(crate) fn valence(segment: &Segment<'_>, lex: &Lexicon) -> f64 {
    let mut sum = 0.0f64;
    for (i, word) in segment.words.iter().enumerate() {
        if let Some(v) = lex.valence(&word.key).or_else(|| lex.valence(&word.norm)) {
            let v = f64::from(v);
            sum += if negated(segment, i) { -0.74 * v } else { v };
        }
    }
    let compound = sum / (sum * sum + 15.0).sqrt();
    (compound * 1000.0).round() / 1000.0
}
