//! Extraction: from transcript segments to facts — people (with their relation to the teller
//! and whether they have died), places, periods, events and emotions — each with the spans it
//! was read from and a confidence. The stage between `speech` and `graph`.
//!
//! Rules, not a model: they run in microseconds on a phone, explain themselves, and work on
//! what recognisers write (lowercase, unpunctuated, numbers as words). Capitals, when present,
//! are a hint. The data the rules consult (gazetteer, given names, common words, valences) is
//! loaded from the lexicon folder; see [`Extractor::load`]. Nothing here logs or puts text in
//! errors.

mod feelings;
pub mod geo;
mod lexicon;
mod numbers;
mod people;
mod periods;
mod places;
mod text;
mod vocab;

#[cfg(test)]
pub(crate) mod tests;

pub use geo::{GeoPlace, NearestPlace};
pub use lexicon::PlaceKind;

use crate::graph::LifeStage;
use lexicon::Lexicon;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use text::Word;

/// Bumped whenever the rules change, so stored facts can be re-extracted.
pub const EXTRACTOR_VERSION: u32 = 1;

/// Facts below this confidence are proposals the owner confirms or rejects.
pub const PROPOSAL_BELOW: f64 = 0.6;

/// Why extraction could not start. Never carries transcript text.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("the lexicon file {file} is missing (run models/fetch.sh)")]
    LexiconMissing { file: &'static str },
    #[error("the lexicon file {file} is malformed at line {line}")]
    LexiconInvalid { file: &'static str, line: usize },
}

/// Kinds of life event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Birth,
    Wedding,
    Engagement,
    Divorce,
    Move,
    Emigration,
    WarService,
    Graduation,
    FirstJob,
    Retirement,
    Funeral,
    Death,
    Illness,
    Holiday,
    Birthday,
    ReligiousCeremony,
    Travel,
    SchoolStart,
}

/// Kinds of emotion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmotionKind {
    Joy,
    Grief,
    Pride,
    Fear,
    Love,
    Regret,
    Anger,
    Gratitude,
    Nostalgia,
    Loneliness,
}

macro_rules! names {
    ($ty:ty { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// Every kind.
            pub const ALL: &'static [$ty] = &[$(<$ty>::$variant),+];
            /// The stable text form ("first_job").
            pub fn as_str(self) -> &'static str {
                match self { $(<$ty>::$variant => $text),+ }
            }
            /// Parses the stable text form.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(<$ty>::$variant),)+ _ => None }
            }
            /// The words to show ("first job").
            pub fn label(self) -> String {
                self.as_str().replace('_', " ")
            }
        }
    };
}

names!(EventKind {
    Birth => "birth", Wedding => "wedding", Engagement => "engagement", Divorce => "divorce",
    Move => "move", Emigration => "emigration", WarService => "war_service",
    Graduation => "graduation", FirstJob => "first_job", Retirement => "retirement",
    Funeral => "funeral", Death => "death", Illness => "illness", Holiday => "holiday",
    Birthday => "birthday", ReligiousCeremony => "religious_ceremony", Travel => "travel",
    SchoolStart => "school_start",
});

names!(EmotionKind {
    Joy => "joy", Grief => "grief", Pride => "pride", Fear => "fear", Love => "love",
    Regret => "regret", Anger => "anger", Gratitude => "gratitude", Nostalgia => "nostalgia",
    Loneliness => "loneliness",
});

impl EmotionKind {
    /// Emotions after which an interviewer should go gently.
    pub fn is_painful(self) -> bool {
        matches!(self, Self::Grief | Self::Fear | Self::Regret | Self::Anger | Self::Loneliness)
    }
}

/// What a fact says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fact {
    /// A person: a name, a relation to the teller, or both.
    Person {
        name: Option<String>,
        relation: Option<String>,
        deceased: bool,
    },
    /// A place; `country` is the ISO code for gazetteer places.
    Place {
        name: String,
        place: PlaceKind,
        country: Option<String>,
    },
    /// A time: a year range (open ends allowed), a life stage, or an age not yet resolvable.
    Period {
        label: String,
        from: Option<i32>,
        to: Option<i32>,
        stage: Option<LifeStage>,
        age: Option<u32>,
    },
    Event {
        event: EventKind,
    },
    Emotion {
        emotion: EmotionKind,
    },
}

impl Fact {
    /// The name to show for the fact's entity.
    pub fn display_name(&self) -> String {
        match self {
            Fact::Person { name: Some(name), .. } => name.clone(),
            Fact::Person { name: None, relation: Some(relation), .. } => text::title_case(relation),
            Fact::Person { .. } => "Someone".to_string(),
            Fact::Place { name, .. } => name.clone(),
            Fact::Period { label, .. } => label.clone(),
            Fact::Event { event } => event.label(),
            Fact::Emotion { emotion } => emotion.label(),
        }
    }
}

/// Where a fact was read: segment index (in the slice given to [`Extractor::extract`]) and
/// character offsets `[char_start, char_end)` into its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactSpan {
    pub segment: usize,
    pub char_start: u32,
    pub char_end: u32,
}

/// One fact with every span that supports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extracted {
    pub fact: Fact,
    pub spans: Vec<FactSpan>,
    /// 0..=1; below [`PROPOSAL_BELOW`] the fact is a proposal.
    pub confidence: f64,
}

/// What extraction found in a story.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Extraction {
    pub facts: Vec<Extracted>,
    /// Per segment: VADER-style compound valence, -1 (sad) ..= 1 (happy).
    pub valence: Vec<f64>,
}

/// What the extractor knows about the teller.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TellerContext {
    /// Resolves ages ("when I was twelve") and life stages to years.
    pub birth_year: Option<i32>,
}

/// The extractor: cheap to clone, shareable across threads.
#[derive(Debug, Clone)]
pub struct Extractor {
    lexicon: Arc<Lexicon>,
    source: Option<PathBuf>,
}

/// One rule's finding, before the facts of a story are grouped.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub fact: Fact,
    pub span: FactSpan,
    /// Word range `[first, last)` in the segment, for rules that look at neighbours.
    pub words: (usize, usize),
    pub confidence: f64,
    /// A name introduced by "called" or "named": it names the relation said just before.
    pub introduced: bool,
}

/// A segment's words and which of them a rule has already used.
pub(crate) struct Segment<'a> {
    pub index: usize,
    pub text: &'a str,
    pub words: Vec<Word>,
    pub claimed: Vec<bool>,
    /// The text uses capitals (a recogniser's cased output or typed text): a lowercase word
    /// there is not a name.
    pub cased: bool,
}

impl Segment<'_> {
    pub fn hit(&mut self, fact: Fact, first: usize, last: usize, confidence: f64) -> Hit {
        for c in &mut self.claimed[first..last] {
            *c = true;
        }
        Hit {
            fact,
            span: FactSpan {
                segment: self.index,
                char_start: self.words[first].start,
                char_end: self.words[last - 1].end,
            },
            words: (first, last),
            confidence,
            introduced: false,
        }
    }

    pub fn free(&self, first: usize, last: usize) -> bool {
        last <= self.words.len() && self.claimed[first..last].iter().all(|c| !c)
    }

    /// The normalised word at `i`, or "" past either end.
    pub fn norm(&self, i: usize) -> &str {
        self.words.get(i).map_or("", |w| w.norm.as_str())
    }

    /// Whether the words from `at` spell `phrase` (space-separated).
    pub fn spells(&self, at: usize, phrase: &str) -> Option<usize> {
        let mut n = 0;
        for part in phrase.split(' ') {
            if self.words.get(at + n)?.norm != part {
                return None;
            }
            n += 1;
        }
        Some(n)
    }
}

impl Extractor {
    /// Loads the lexicon from its folder (`$HEIRLOOM_MODELS/lexicon`).
    pub fn load(dir: &Path) -> Result<Self, ExtractError> {
        Ok(Self { lexicon: Arc::new(Lexicon::load(dir)?), source: Some(dir.to_path_buf()) })
    }

    /// An extractor with no lexicon: relations, periods, events and emotions still work;
    /// places come only from home-like phrases and names only after relation words.
    pub fn without_lexicon() -> Self {
        Self { lexicon: Arc::new(Lexicon::default()), source: None }
    }

    /// The lexicon folder under a models folder.
    pub fn default_dir(models: &Path) -> PathBuf {
        models.join("lexicon")
    }

    /// The nearest gazetteer city within [`geo::MAX_PLACE_KM`] of a GPS position.
    pub fn nearest_place(&self, lat: f64, lon: f64) -> Option<NearestPlace> {
        self.lexicon.geo.nearest(lat, lon)
    }

    /// Whether city positions were loaded (for [`Extractor::nearest_place`]).
    pub fn has_geo(&self) -> bool {
        !self.lexicon.geo.is_empty()
    }

    /// Whether a gazetteer and word lists were loaded.
    pub fn has_lexicon(&self) -> bool {
        self.source.is_some()
    }

    /// Reads the facts of one story, told in `segments` (in order).
    pub fn extract(&self, segments: &[&str], teller: TellerContext) -> Extraction {
        let lex = &*self.lexicon;
        let mut hits = Vec::new();
        let mut valence = Vec::with_capacity(segments.len());
        let mut parsed: Vec<Segment<'_>> = segments
            .iter()
            .enumerate()
            .map(|(index, text)| {
                let words = text::words(text);
                let claimed = vec![false; words.len()];
                let cased = words.iter().any(|w| w.capitalised && w.norm != "i");
                Segment { index, text, words, claimed, cased }
            })
            .collect();
        for segment in &mut parsed {
            hits.extend(periods::periods(segment, teller));
            hits.extend(people::with_cues(segment, lex));
        }
        for segment in &mut parsed {
            hits.extend(places::places(segment, lex));
        }
        for segment in &mut parsed {
            hits.extend(people::bare_names(segment, lex));
            hits.extend(feelings::events(segment));
            hits.extend(feelings::emotions(segment));
            valence.push(feelings::valence(segment, lex));
        }
        people::mark_deceased(&parsed, &mut hits);
        feelings::emigration(&mut hits, &parsed);
        Extraction { facts: group(hits), valence }
    }
}

/// Groups a story's hits into facts: one per person, place, period, event and emotion.
fn group(hits: Vec<Hit>) -> Vec<Extracted> {
    let mut facts: Vec<Extracted> = Vec::new();
    let (people, others): (Vec<Hit>, Vec<Hit>) =
        hits.into_iter().partition(|h| matches!(h.fact, Fact::Person { .. }));
    for hit in people::resolve_in_story(people).into_iter().chain(others) {
        match facts.iter_mut().find(|f| same_fact(&f.fact, &hit.fact)) {
            Some(existing) => {
                existing.spans.push(hit.span);
                existing.confidence = (existing.confidence.max(hit.confidence) + 0.05).min(0.99);
                if let (
                    Fact::Person { deceased, name, .. },
                    Fact::Person { deceased: d2, name: n2, .. },
                ) = (&mut existing.fact, &hit.fact)
                {
                    *deceased |= *d2;
                    if name.is_none() {
                        name.clone_from(n2);
                    }
                }
                if let (Fact::Person { relation, .. }, Fact::Person { relation: r2, .. }) =
                    (&mut existing.fact, &hit.fact)
                {
                    if relation.is_none() {
                        relation.clone_from(r2);
                    }
                }
            }
            None => facts.push(Extracted {
                fact: hit.fact,
                spans: vec![hit.span],
                confidence: hit.confidence,
            }),
        }
    }
    for fact in &mut facts {
        fact.spans.sort_by_key(|s| (s.segment, s.char_start));
        fact.confidence = (fact.confidence * 100.0).round() / 100.0;
    }
    facts
}

fn same_fact(a: &Fact, b: &Fact) -> bool {
    match (a, b) {
        (
            Fact::Person { name: n1, relation: r1, .. },
            Fact::Person { name: n2, relation: r2, .. },
        ) => match (n1, n2) {
            (Some(a), Some(b)) => text::fold(a) == text::fold(b),
            (None, None) => r1 == r2,
            _ => false,
        },
        (Fact::Place { name: a, .. }, Fact::Place { name: b, .. }) => {
            lexicon::place_key(a) == lexicon::place_key(b)
        }
        (
            Fact::Period { from: f1, to: t1, stage: s1, age: a1, .. },
            Fact::Period { from: f2, to: t2, stage: s2, age: a2, .. },
        ) => f1 == f2 && t1 == t2 && s1 == s2 && a1 == a2,
        (Fact::Event { event: a }, Fact::Event { event: b }) => a == b,
        (Fact::Emotion { emotion: a }, Fact::Emotion { emotion: b }) => a == b,
        _ => false,
    }
}
