//! Periods: years ("1962", "nineteen sixty-two"), ranges ("from 1962 to 1965"), decades ("the
//! sixties"), ages ("when I was twelve", resolved against the teller's birth year), life
//! stages ("in high school") and the eras people date things by ("after the war").

use super::numbers::{count, decade, year};
use super::vocab::{stage_ages, STAGE_PHRASES};
use super::{Fact, Hit, Segment, TellerContext};

/// Eras by phrase: (phrase, from, to). "The war" is the Second World War for this generation.
const ERAS: &[(&str, Option<i32>, Option<i32>)] = &[
    ("after the war", Some(1945), None),
    ("after world war two", Some(1945), None),
    ("after the second world war", Some(1945), None),
    ("during the war", Some(1939), Some(1945)),
    ("in the war", Some(1939), Some(1945)),
    ("during world war two", Some(1939), Some(1945)),
    ("during the second world war", Some(1939), Some(1945)),
    ("before the war", None, Some(1939)),
    ("during the depression", Some(1929), Some(1939)),
    ("in the depression", Some(1929), Some(1939)),
    ("the great depression", Some(1929), Some(1939)),
];

pub(crate) fn periods(segment: &mut Segment<'_>, teller: TellerContext) -> Vec<Hit> {
    let mut hits = Vec::new();
    let mut i = 0;
    while i < segment.words.len() {
        let found = era(segment, i)
            .or_else(|| stage(segment, i, teller))
            .or_else(|| age(segment, i, teller))
            .or_else(|| decade_at(segment, i, teller))
            .or_else(|| year_or_range(segment, i));
        match found {
            Some((fact, first, end, confidence)) if segment.free(first, end) => {
                hits.push(segment.hit(fact, first, end, confidence));
                i = end;
            }
            _ => i += 1,
        }
    }
    hits
}

type Found = (Fact, usize, usize, f64);

fn label(segment: &Segment<'_>, first: usize, end: usize) -> String {
    super::text::slice(segment.text, segment.words[first].start, segment.words[end - 1].end)
}

fn era(segment: &Segment<'_>, at: usize) -> Option<Found> {
    ERAS.iter().find_map(|(phrase, from, to)| {
        let n = segment.spells(at, phrase)?;
        let fact = Fact::Period {
            label: label(segment, at, at + n),
            from: *from,
            to: *to,
            stage: None,
            age: None,
        };
        Some((fact, at, at + n, 0.8))
    })
}

fn stage(segment: &Segment<'_>, at: usize, teller: TellerContext) -> Option<Found> {
    let (n, stage) = STAGE_PHRASES
        .iter()
        .filter_map(|(phrase, stage)| segment.spells(at, phrase).map(|n| (n, *stage)))
        .max_by_key(|(n, _)| *n)?;
    let (from, to) = match teller.birth_year {
        Some(born) => {
            let (a, b) = stage_ages(stage);
            (Some(born + a), Some(born + b))
        }
        None => (None, None),
    };
    let fact =
        Fact::Period { label: label(segment, at, at + n), from, to, stage: Some(stage), age: None };
    Some((fact, at, at + n, 0.75))
}

/// "when I was twelve", "I was 12 years old", "at the age of twelve", "aged twelve",
/// "at sixteen I left".
fn age(segment: &Segment<'_>, at: usize, teller: TellerContext) -> Option<Found> {
    let mut starts: Vec<usize> = Vec::new();
    for phrase in [
        "when i was",
        "by the time i was",
        "since i was",
        "until i was",
        "till i was",
        "after i was",
    ] {
        if let Some(n) = segment.spells(at, phrase) {
            starts.push(n);
        }
    }
    for phrase in ["at the age of", "aged", "at age"] {
        if let Some(n) = segment.spells(at, phrase) {
            starts.push(n);
        }
    }
    let mut best = None;
    for n in starts {
        let mut k = at + n;
        if matches!(segment.norm(k), "about" | "around" | "maybe" | "only" | "just" | "nearly") {
            k += 1;
        }
        if let Some((value, used)) = count(&segment.words, k) {
            let mut end = k + used;
            if segment.norm(end) == "years" && segment.norm(end + 1) == "old" {
                end += 2;
            }
            best = Some((value, end));
        }
    }
    // "I was twelve years old", "at sixteen I …"
    if best.is_none() && segment.spells(at, "i was").is_some() {
        if let Some((value, used)) = count(&segment.words, at + 2) {
            let end = at + 2 + used;
            if segment.norm(end) == "years" && segment.norm(end + 1) == "old" {
                best = Some((value, end + 2));
            }
        }
    }
    if best.is_none() && segment.norm(at) == "at" {
        if let Some((value, used)) = count(&segment.words, at + 1) {
            let end = at + 1 + used;
            let next = segment.words.get(end);
            let clause = next.is_none_or(|w| w.sentence_start || w.after_pause)
                || matches!(segment.norm(end), "i" | "we");
            if clause && (5..=100).contains(&value) {
                best = Some((value, end));
            }
        }
    }
    let (value, end) = best?;
    if value > 110 {
        return None;
    }
    let value_i32 = value as i32;
    let (from, to) = match teller.birth_year {
        Some(born) => (Some(born + value_i32), Some(born + value_i32 + 1)),
        None => (None, None),
    };
    let fact =
        Fact::Period { label: label(segment, at, end), from, to, stage: None, age: Some(value) };
    Some((fact, at, end, 0.8))
}

/// "the sixties", "the 1960s", "the early seventies".
fn decade_at(segment: &Segment<'_>, at: usize, teller: TellerContext) -> Option<Found> {
    if segment.norm(at) != "the" {
        return None;
    }
    let mut k = at + 1;
    if matches!(segment.norm(k), "early" | "mid" | "late" | "mid-") {
        k += 1;
    }
    let (start, used) = decade(&segment.words, k, teller.birth_year)?;
    let end = k + used;
    let fact = Fact::Period {
        label: label(segment, at, end),
        from: Some(start),
        to: Some(start + 9),
        stage: None,
        age: None,
    };
    Some((fact, at, end, 0.85))
}

/// A year, or a range: "from 1962 to 1965", "between 1950 and 1955", "1962 to 1965".
fn year_or_range(segment: &Segment<'_>, at: usize) -> Option<Found> {
    let prefix = match segment.norm(at) {
        "from" | "between" => 1,
        _ => 0,
    };
    let (first, used) = year(&segment.words, at + prefix)?;
    let after = at + prefix + used;
    if matches!(segment.norm(after), "to" | "until" | "till" | "through" | "and") {
        if let Some((second, used2)) = year(&segment.words, after + 1) {
            if second > first && second - first < 100 {
                let end = after + 1 + used2;
                let fact = Fact::Period {
                    label: label(segment, at + prefix, end),
                    from: Some(first),
                    to: Some(second),
                    stage: None,
                    age: None,
                };
                return Some((fact, at + prefix, end, 0.85));
            }
        }
    }
    let digits = segment.words[at + prefix].norm.chars().all(|c| c.is_ascii_digit());
    let fact = Fact::Period {
        label: label(segment, at + prefix, after),
        from: Some(first),
        to: Some(first),
        stage: None,
        age: None,
    };
    Some((fact, at + prefix, after, if digits { 0.9 } else { 0.85 }))
}
