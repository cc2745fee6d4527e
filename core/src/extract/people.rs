//! People: relation phrases ("my late husband Tom", "my mother's sister"), titles ("Uncle
//! Joe", "Grandma Rosa"), honorifics ("Mrs. Kowalski"), and bare names. Pronoun-free: no
//! gender is guessed, and "he" or "she" never becomes a person.

use super::lexicon::Lexicon;
use super::text::{title_case, Word};
use super::vocab::{
    compose, CALENDAR_WORDS, DECEASED_CUES, FUNCTION_WORDS, HONORIFICS, PETS, RELATIONS,
    RELATION_MODIFIERS, TITLES,
};
use super::{Fact, Hit, Segment};

fn relation_of(key: &str) -> Option<&'static str> {
    RELATIONS.iter().find(|(word, _)| *word == key).map(|(_, relation)| *relation)
}

/// Whether a word names a relation or is a family title ("grandma", "uncle").
pub(crate) fn is_relation_word(key: &str) -> bool {
    relation_of(key).is_some() || TITLES.contains(&key)
}

/// A relation word at `at`, possibly spread over words ("great grandmother", "mother in law"):
/// (relation, words used).
fn relation_at(segment: &Segment<'_>, at: usize) -> Option<(&'static str, usize)> {
    let word = segment.words.get(at)?;
    if word.key == "great" {
        let (relation, used) = relation_at(segment, at + 1)?;
        return match relation {
            "grandmother" => Some(("great-grandmother", used + 1)),
            "grandfather" => Some(("great-grandfather", used + 1)),
            _ => None,
        };
    }
    let relation = relation_of(&word.key)?;
    if !word.possessive && segment.norm(at + 1) == "in" && segment.norm(at + 2).starts_with("law") {
        let in_law = match relation {
            "mother" => "mother-in-law",
            "father" => "father-in-law",
            "sister" => "sister-in-law",
            "brother" => "brother-in-law",
            _ => relation,
        };
        return Some((in_law, 3));
    }
    Some((relation, 1))
}

/// Words that, following an ambiguous name-or-word ("rose", "will", "may"), show it was a verb.
const VERB_FOLLOWERS: &[&str] =
    &["to", "up", "from", "out", "over", "early", "with", "into", "be", "have", "not", "go"];

fn never_a_name(word: &Word) -> bool {
    let key = word.key.as_str();
    let contraction = key
        .split_once('\'')
        .is_some_and(|(_, tail)| matches!(tail, "d" | "m" | "ll" | "re" | "ve" | "t"));
    key.chars().count() < 2
        || !key.chars().all(|c| c.is_alphabetic() || c == '\'' || c == '-')
        || contraction
        || word.all_caps
        || FUNCTION_WORDS.contains(&key)
        || relation_of(key).is_some()
}

/// Months and feast days are not names on their own, but "Auntie May" and "my sister June" are.
fn calendar_word(word: &Word) -> bool {
    CALENDAR_WORDS.contains(&word.key.as_str())
}

/// Whether the word at `at` can be a name where a name is expected (after a relation word, a
/// title or an honorific).
fn name_in_slot(segment: &Segment<'_>, lex: &Lexicon, at: usize) -> bool {
    let Some(word) = segment.words.get(at) else { return false };
    if never_a_name(word) || !segment.free(at, at + 1) || word.after_pause {
        return false;
    }
    if calendar_word(word) {
        let date_follows =
            segment.words.get(at + 1).is_some_and(|w| w.norm.chars().all(|c| c.is_ascii_digit()));
        return lex.is_given_name(&word.key) && !date_follows;
    }
    if word.capitalised && !word.sentence_start {
        return lex.common_level(&word.key).is_none_or(|_| lex.is_given_name(&word.key));
    }
    if segment.cased {
        return false;
    }
    if lex.is_given_name(&word.key) {
        // "my sister rose to …" is a verb; "my sister rose was …" a name.
        return lex.common_level(&word.key).is_none()
            || !VERB_FOLLOWERS.contains(&segment.norm(at + 1));
    }
    lex.has_words() && lex.common_level(&word.key).is_none()
}

/// A second name word (a family name) after a first: capitalised, or unknown as a word.
fn family_name(segment: &Segment<'_>, lex: &Lexicon, at: usize) -> bool {
    let Some(word) = segment.words.get(at) else { return false };
    if never_a_name(word)
        || calendar_word(word)
        || !segment.free(at, at + 1)
        || word.after_pause
        || word.sentence_start
    {
        return false;
    }
    if word.capitalised {
        return lex.common_level(&word.key).is_none();
    }
    !segment.cased
        && lex.has_words()
        && lex.common_level(&word.key).is_none()
        && !lex.is_given_name(&word.key)
}

/// The name starting at `at`: display text and words used (1 or 2).
fn name_at(segment: &Segment<'_>, lex: &Lexicon, at: usize) -> Option<(String, usize)> {
    if !name_in_slot(segment, lex, at) {
        return None;
    }
    let first = &segment.words[at];
    let used = if !first.possessive && family_name(segment, lex, at + 1) { 2 } else { 1 };
    let name = segment.words[at..at + used]
        .iter()
        .map(|w| display_word(segment.text, w))
        .collect::<Vec<_>>()
        .join(" ");
    Some((name, used))
}

/// A name word as it should be shown: as written when capitalised, else title-cased; without
/// a possessive.
fn display_word(text: &str, word: &Word) -> String {
    let raw = super::text::slice(text, word.start, word.end);
    let raw = raw
        .trim_end_matches(['\'', '’'])
        .trim_end_matches("'s")
        .trim_end_matches("’s")
        .trim_end_matches(['\'', '’']);
    if word.capitalised {
        raw.to_string()
    } else {
        title_case(&raw.to_lowercase())
    }
}

/// Relation phrases, titles and honorifics.
pub(crate) fn with_cues(segment: &mut Segment<'_>, lex: &Lexicon) -> Vec<Hit> {
    let mut hits = Vec::new();
    let mut i = 0;
    while i < segment.words.len() {
        if !segment.free(i, i + 1) {
            i += 1;
            continue;
        }
        if PETS.contains(&segment.words[i].key.as_str()) {
            // "our dog, Duke": the name is a pet's; claim it so no rule makes it a person.
            if let Some(next) = segment.words.get(i + 1) {
                if !never_a_name(next)
                    && (next.capitalised || lex.common_level(&next.key).is_none())
                {
                    segment.claimed[i + 1] = true;
                    i += 2;
                    continue;
                }
            }
        }
        if let Some((hit, next)) = relation_phrase(segment, lex, i)
            .or_else(|| titled_name(segment, lex, i))
            .or_else(|| honorific_name(segment, lex, i))
        {
            hits.push(hit);
            i = next;
        } else {
            i += 1;
        }
    }
    hits
}

/// "my (late|dear|…)* RELATION ('s RELATION)? NAME?" and "NAME, my RELATION".
fn relation_phrase(segment: &mut Segment<'_>, lex: &Lexicon, at: usize) -> Option<(Hit, usize)> {
    let owner = matches!(segment.norm(at), "my" | "our");
    let other = matches!(segment.norm(at), "his" | "her" | "their");
    if !owner && !other {
        return None;
    }
    let mut j = at + 1;
    let mut deceased = false;
    while j < segment.words.len()
        && RELATION_MODIFIERS.contains(&segment.words[j].key.as_str())
        && relation_at(segment, j).is_none()
    {
        deceased |= segment.words[j].key == "late";
        j += 1;
    }
    let (mut relation, used) = relation_at(segment, j)?;
    let mut end = j + used;
    // "my mother's sister": a relation of a relation.
    if segment.words[end - 1].possessive {
        if let Some((second, used2)) = relation_at(segment, end) {
            relation = compose(relation, second).unwrap_or(second);
            end += used2;
            if !owner {
                return None;
            }
        }
    }
    let mut name = None;
    if !segment.words[end - 1].possessive {
        if let Some((found, used)) = name_at(segment, lex, end) {
            name = Some(found);
            end += used;
        }
    }
    if other && name.is_none() {
        // "her mother" is someone else's relation, and nameless: nothing to record.
        return None;
    }
    let relation = owner.then(|| relation.to_string());
    let confidence = if name.is_some() { 0.85 } else { 0.75 };
    let fact = Fact::Person { name, relation, deceased };
    Some((segment.hit(fact, at, end, confidence), end))
}

/// "Uncle Joe", "grandma rosa": a title used as part of the name.
fn titled_name(segment: &mut Segment<'_>, lex: &Lexicon, at: usize) -> Option<(Hit, usize)> {
    let word = &segment.words[at];
    if !TITLES.contains(&word.key.as_str()) || word.possessive {
        return None;
    }
    if at > 0 && matches!(segment.norm(at - 1), "the" | "a" | "an" | "his" | "her" | "their") {
        return None;
    }
    let relation = relation_of(&word.key)?;
    let (name, used) = name_at(segment, lex, at + 1)?;
    let end = at + 1 + used;
    let fact =
        Fact::Person { name: Some(name), relation: Some(relation.to_string()), deceased: false };
    Some((segment.hit(fact, at, end, 0.85), end))
}

/// "Mrs. Kowalski", "Doctor Okafor", "Father O'Brien".
fn honorific_name(segment: &mut Segment<'_>, lex: &Lexicon, at: usize) -> Option<(Hit, usize)> {
    let word = &segment.words[at];
    if !HONORIFICS.contains(&word.key.as_str()) || word.possessive {
        return None;
    }
    if at > 0 && matches!(segment.norm(at - 1), "my" | "our" | "the" | "a" | "his" | "her") {
        return None;
    }
    let (name, used) = name_at(segment, lex, at + 1)?;
    let end = at + 1 + used;
    let relation = match word.key.as_str() {
        "doctor" | "dr" => Some("doctor"),
        "nurse" => Some("nurse"),
        "teacher" => Some("teacher"),
        _ => None,
    };
    let title = display_word(segment.text, word);
    let title = match title.as_str() {
        "Mr" | "Mrs" | "Ms" | "Dr" => format!("{title}."),
        _ => title,
    };
    let fact = Fact::Person {
        name: Some(format!("{title} {name}")),
        relation: relation.map(str::to_string),
        deceased: false,
    };
    Some((segment.hit(fact, at, end, 0.8), end))
}

/// Names without a cue: capitalised words no lexicon knows as ordinary words, and known given
/// names that are not also common words.
pub(crate) fn bare_names(segment: &mut Segment<'_>, lex: &Lexicon) -> Vec<Hit> {
    let mut hits = Vec::new();
    let mut i = 0;
    while i < segment.words.len() {
        let word = &segment.words[i];
        let after_the = i > 0 && matches!(segment.norm(i - 1), "the" | "a" | "an");
        if !segment.free(i, i + 1) || never_a_name(word) || calendar_word(word) || after_the {
            i += 1;
            continue;
        }
        let introduced = i > 0 && matches!(segment.norm(i - 1), "called" | "named");
        if introduced && name_in_slot(segment, lex, i) {
            let (name, used) = name_at(segment, lex, i).unwrap_or_default();
            if used > 0 {
                let fact = Fact::Person { name: Some(name), relation: None, deceased: false };
                let mut hit = segment.hit(fact, i, i + used, 0.75);
                hit.introduced = true;
                hits.push(hit);
                i += used;
                continue;
            }
        }
        let given = lex.is_given_name(&word.key);
        let common = lex.common_level(&word.key).is_some();
        let and_i =
            matches!(segment.norm(i + 1), "and") && matches!(segment.norm(i + 2), "i" | "me");
        let my_relation =
            matches!(segment.norm(i + 1), "my" | "our") && relation_at(segment, i + 2).is_some();
        let confidence =
            if word.capitalised && word.sentence_start && !common && (and_i || my_relation) {
                0.75
            } else if word.capitalised && !word.sentence_start && !common {
                if given || and_i {
                    0.8
                } else {
                    0.55
                }
            } else if word.capitalised && word.sentence_start && given && !common {
                0.75
            } else if given && !common {
                if and_i {
                    0.75
                } else {
                    0.6
                }
            } else if given && word.capitalised && !word.sentence_start {
                // "Rose", "Grace": capitalised mid-sentence, both a name and a word.
                0.6
            } else {
                i += 1;
                continue;
            };
        if (!lex.has_words() || segment.cased) && !word.capitalised {
            i += 1;
            continue;
        }
        let used = if !word.possessive && family_name(segment, lex, i + 1) { 2 } else { 1 };
        let name = segment.words[i..i + used]
            .iter()
            .map(|w| display_word(segment.text, w))
            .collect::<Vec<_>>()
            .join(" ");
        let mut end = i + used;
        let mut relation = None;
        // "Tomasz, my husband": the relation follows the name.
        if matches!(segment.norm(end), "my" | "our") {
            if let Some((r, n)) = relation_at(segment, end + 1) {
                if segment.free(end, end + 1 + n) {
                    relation = Some(r.to_string());
                    end += 1 + n;
                }
            }
        }
        let fact = Fact::Person { name: Some(name), relation, deceased: false };
        hits.push(segment.hit(fact, i, end, confidence));
        i = end;
    }
    hits
}

/// Sets `deceased` on people the story says have died: "my late husband", "Joe passed away",
/// "we lost him", "my father's funeral".
pub(crate) fn mark_deceased(segments: &[Segment<'_>], hits: &mut [Hit]) {
    let people: Vec<usize> =
        (0..hits.len()).filter(|&h| matches!(hits[h].fact, Fact::Person { .. })).collect();
    for segment in segments {
        for (c, word) in segment.words.iter().enumerate() {
            let cue = word.key.as_str();
            let strong = match cue {
                "passed" => matches!(segment.norm(c + 1), "away" | "on"),
                "died" | "killed" | "funeral" | "grave" | "buried" => true,
                "lost" => true,
                "late" => false, // handled in the relation phrase
                _ => DECEASED_CUES.contains(&cue) && matches!(cue, "widow" | "widowed"),
            };
            if !strong {
                continue;
            }
            // "we lost him", "lost my father", "my father died", "at Joe's funeral"
            let target = if cue == "lost" {
                match segment.norm(c + 1) {
                    "my" | "our" => nearest(hits, &people, segment.index, c + 1, true),
                    "him" | "her" | "them" => nearest(hits, &people, segment.index, c, false),
                    _ => None,
                }
            } else if (c.saturating_sub(2)..c)
                .any(|p| matches!(segment.norm(p), "he" | "she" | "they"))
            {
                // "She passed away": the person the story was last about.
                people
                    .iter()
                    .copied()
                    .filter(|&h| (hits[h].span.segment, hits[h].words.1) <= (segment.index, c))
                    .max_by_key(|&h| (hits[h].span.segment, hits[h].words.1))
            } else {
                nearest(hits, &people, segment.index, c, false)
            };
            if let Some(h) = target {
                if let Fact::Person { deceased, .. } = &mut hits[h].fact {
                    *deceased = true;
                }
            }
        }
    }
}

/// The person hit nearest the cue at word `c`: the first one starting at `c` when `after`, else
/// the last one ending before `c` within eight words (or the previous segment's last person).
fn nearest(hits: &[Hit], people: &[usize], segment: usize, c: usize, after: bool) -> Option<usize> {
    if after {
        return people
            .iter()
            .copied()
            .find(|&h| hits[h].span.segment == segment && hits[h].words.0 == c);
    }
    people
        .iter()
        .copied()
        .filter(|&h| {
            let s = hits[h].span.segment;
            (s == segment && hits[h].words.1 <= c + 1 && c < hits[h].words.1 + 8)
                || (s + 1 == segment && c < 4)
        })
        .max_by_key(|&h| (hits[h].span.segment, hits[h].words.1))
}

/// Within one story: "Grandma Rosa … Rosa … my grandmother" are one person when nothing
/// contradicts it. Relation-only mentions join the one named person with that relation;
/// name-only mentions join the named person with the same first name.
pub(crate) fn resolve_in_story(mut hits: Vec<Hit>) -> Vec<Hit> {
    // "Tomasz, my husband": a relation right after a bare name belongs to it.
    hits.sort_by_key(|h| (h.span.segment, h.words.0));
    let mut k = 1;
    while k < hits.len() {
        let adjacent = hits[k].span.segment == hits[k - 1].span.segment
            && hits[k].words.0 == hits[k - 1].words.1;
        // "our neighbour, Mrs. Patterson": a name right after a nameless relation is its name.
        if let (
            true,
            Fact::Person { name: None, relation: Some(_), .. },
            Fact::Person { name: Some(n), relation: None, deceased },
        ) = (adjacent, &hits[k - 1].fact, &hits[k].fact)
        {
            let (n, d) = (n.clone(), *deceased);
            let (span_end, words_end) = (hits[k].span.char_end, hits[k].words.1);
            if let Fact::Person { name, deceased, .. } = &mut hits[k - 1].fact {
                *name = Some(n);
                *deceased |= d;
            }
            hits[k - 1].span.char_end = span_end;
            hits[k - 1].words.1 = words_end;
            hits.remove(k);
            continue;
        }
        if let (
            true,
            Fact::Person { name: Some(_), relation: None, .. },
            Fact::Person { name: None, relation: Some(r), deceased },
        ) = (adjacent, &hits[k - 1].fact, &hits[k].fact)
        {
            let (r, d) = (r.clone(), *deceased);
            let span_end = hits[k].span.char_end;
            let words_end = hits[k].words.1;
            if let Fact::Person { relation, deceased, .. } = &mut hits[k - 1].fact {
                *relation = Some(r);
                *deceased |= d;
            }
            hits[k - 1].span.char_end = span_end;
            hits[k - 1].words.1 = words_end;
            hits.remove(k);
        } else {
            k += 1;
        }
    }
    let named: Vec<(String, Option<String>)> = hits
        .iter()
        .filter_map(|h| match &h.fact {
            Fact::Person { name: Some(n), relation, .. } => Some((n.clone(), relation.clone())),
            _ => None,
        })
        .collect();
    for hit in &mut hits {
        let Fact::Person { name, relation, .. } = &mut hit.fact else { continue };
        match (name.as_ref(), relation.as_ref()) {
            (None, Some(rel)) => {
                let with_relation: Vec<&(String, Option<String>)> =
                    named.iter().filter(|(_, r)| r.as_ref() == Some(rel)).collect();
                if let [(n, _)] = with_relation.as_slice() {
                    *name = Some(n.clone());
                }
            }
            (Some(n), _) => {
                let first = super::text::fold(n.split(' ').next().unwrap_or(n));
                let fuller: Vec<&(String, Option<String>)> = named
                    .iter()
                    .filter(|(other, r)| {
                        other.len() > n.len()
                            && super::text::fold(other.split(' ').next().unwrap_or(other)) == first
                            && (relation.is_none() || r == relation)
                    })
                    .collect();
                if let [(full, r)] = fuller.as_slice() {
                    *name = Some(full.clone());
                    if relation.is_none() {
                        relation.clone_from(r);
                    }
                }
            }
            (None, None) => {}
        }
    }
    // "my best friend at work … called Marites": the name names the relation before it.
    for k in 0..hits.len() {
        if !hits[k].introduced {
            continue;
        }
        let before = (0..k).rev().find(|&j| {
            hits[j].span.segment == hits[k].span.segment
                && hits[k].words.0 <= hits[j].words.1 + 12
                && matches!(hits[j].fact, Fact::Person { name: None, relation: Some(_), .. })
        });
        if let Some(j) = before {
            let name = match &hits[k].fact {
                Fact::Person { name, .. } => name.clone(),
                _ => None,
            };
            let relation = match &hits[j].fact {
                Fact::Person { relation, .. } => relation.clone(),
                _ => None,
            };
            if let Fact::Person { name: n, .. } = &mut hits[j].fact {
                n.clone_from(&name);
            }
            if let Fact::Person { relation: r, .. } = &mut hits[k].fact {
                *r = relation;
            }
        }
    }
    // A name said once with its relation carries it to the other mentions of that name.
    let relations: Vec<(String, String)> = hits
        .iter()
        .filter_map(|h| match &h.fact {
            Fact::Person { name: Some(n), relation: Some(r), .. } => Some((n.clone(), r.clone())),
            _ => None,
        })
        .collect();
    for hit in &mut hits {
        if let Fact::Person { name: Some(n), relation: relation @ None, .. } = &mut hit.fact {
            if let Some((_, r)) = relations.iter().find(|(other, _)| other == n) {
                *relation = Some(r.clone());
            }
        }
    }
    hits
}
