//! Places: gazetteer names (countries, regions, cities) and home-like places told the way the
//! teller knows them ("the farm on Route 9", "Aunt Carmen's bakery", "Water Street").
//!
//! Place names collide with words ("Reading", "Nice", "Bath") and with given names ("Florence",
//! "Georgia"), so a name that is also a common word needs a capital and a locative cue ("in",
//! "to", "from"), and a given name needs the cue.

use super::lexicon::{place_key, Lexicon, PlaceEntry, PlaceKind};
use super::people::is_relation_word;
use super::text::{slice, title_case};
use super::vocab::{CALENDAR_WORDS, FUNCTION_WORDS};
use super::{Fact, Hit, Segment};

/// Words before a place: "born in", "moved to", "came from", "the road near".
const LOCATIVES: &[&str] = &[
    "in", "to", "from", "at", "near", "outside", "around", "through", "across", "toward",
    "towards", "into", "via", "visited", "visit", "visiting", "reached", "left", "of",
];

/// What a home-like place can be.
const LOCAL_NOUNS: &[&str] = &[
    "farm",
    "house",
    "bakery",
    "shop",
    "store",
    "mill",
    "church",
    "chapel",
    "temple",
    "mosque",
    "synagogue",
    "factory",
    "ranch",
    "cottage",
    "restaurant",
    "cafe",
    "café",
    "pub",
    "diner",
    "market",
    "flat",
    "apartment",
    "orchard",
    "vineyard",
    "garage",
    "cabin",
    "hotel",
    "inn",
    "laundry",
    "dairy",
    "plantation",
    "croft",
    "stall",
    "shack",
    "bar",
    "salon",
    "tailor",
    "butcher",
    "bookshop",
    "bookstore",
    "pharmacy",
    "clinic",
    "hut",
    "studio",
    "workshop",
    "place",
    "allotment",
    "bungalow",
    "homestead",
    "trattoria",
    "taverna",
    "grocery",
];

/// Words ending a street name; "route" and "highway" take a number after them.
const STREET_WORDS: &[&str] = &[
    "street",
    "road",
    "avenue",
    "lane",
    "drive",
    "boulevard",
    "way",
    "terrace",
    "crescent",
    "square",
    "close",
    "parade",
    "row",
    "hill",
    "court",
    "st",
    "rd",
    "ave",
];

/// Words that open a place name around a gazetteer name: "County Cork", "Lake Erie".
const GEO_PREFIXES: &[&str] = &[
    "county", "lake", "mount", "mt", "river", "port", "fort", "saint", "st", "san", "santa",
    "kibbutz", "isle", "bay", "cape", "upper", "lower", "north", "south", "east", "west", "new",
];

pub(crate) fn places(segment: &mut Segment<'_>, lex: &Lexicon) -> Vec<Hit> {
    let mut hits = local_places(segment, lex);
    if lex.has_places() {
        hits.extend(gazetteer_places(segment, lex));
    }
    hits.extend(capitalised_after_locative(segment, lex));
    hits
}

/// "in Skibbereen", "to Sham Shui Po": capitalised words no gazetteer knows, after a locative,
/// that are not a given name or an ordinary word. A proposal unless part of it is a known place.
fn capitalised_after_locative(segment: &mut Segment<'_>, lex: &Lexicon) -> Vec<Hit> {
    let mut hits = Vec::new();
    let mut i = 0;
    while i < segment.words.len() {
        let word = &segment.words[i];
        let starts = word.capitalised
            && !word.sentence_start
            && !word.all_caps
            && segment.free(i, i + 1)
            && locative_before(segment, i);
        if !starts {
            i += 1;
            continue;
        }
        let mut end = i;
        while end < segment.words.len()
            && end < i + 4
            && segment.words[end].capitalised
            && segment.free(end, end + 1)
            && (end == i || !segment.words[end].after_pause)
            && !segment.words[end - usize::from(end > i)].possessive
        {
            end += 1;
        }
        let words = &segment.words[i..end];
        let ordinary = |w: &super::text::Word| {
            let key = w.key.as_str();
            FUNCTION_WORDS.contains(&key)
                || CALENDAR_WORDS.contains(&key)
                || is_relation_word(key)
                || super::vocab::HONORIFICS.contains(&key)
                || (lex.common_level(key).is_some() && !GEO_PREFIXES.contains(&key))
        };
        let single_name = end == i + 1 && lex.is_given_name(&words[0].key);
        if words.iter().any(ordinary) || single_name || !lex.has_words() {
            i = end.max(i + 1);
            continue;
        }
        let name = slice(segment.text, words[0].start, words[end - i - 1].end);
        let fact = Fact::Place { name, place: PlaceKind::Local, country: None };
        hits.push(segment.hit(fact, i, end, 0.55));
        i = end;
    }
    hits
}

fn locative_before(segment: &Segment<'_>, at: usize) -> bool {
    if at > 0
        && GEO_PREFIXES.contains(&segment.words[at - 1].key.as_str())
        && segment.free(at - 1, at)
    {
        return true;
    }
    let mut i = at;
    while i > 0 && matches!(segment.norm(i - 1), "the" | "a" | "beautiful" | "little" | "old") {
        i -= 1;
    }
    i > 0 && LOCATIVES.contains(&segment.norm(i - 1))
}

fn gazetteer_places(segment: &mut Segment<'_>, lex: &Lexicon) -> Vec<Hit> {
    let mut hits = Vec::new();
    let mut i = 0;
    let mut last_place_end = usize::MAX;
    'words: while i < segment.words.len() {
        let longest = lex.max_place_words.min(segment.words.len() - i);
        for n in (1..=longest).rev() {
            if !segment.free(i, i + n) {
                continue;
            }
            let words = &segment.words[i..i + n];
            // A possessive may only end the name ("Naples's harbour" is rare; "Rosa's" is not
            // a place).
            if words[..n - 1].iter().any(|w| w.possessive) {
                continue;
            }
            let key =
                place_key(&words.iter().map(|w| w.key.as_str()).collect::<Vec<_>>().join(" "));
            let Some(entries) = lex.places(&key) else { continue };
            // "Wooster, Ohio": a place right after a place is a place.
            let follows_place = i == last_place_end && segment.words[i].after_pause;
            if let Some(confidence) = judge(segment, lex, i, n, &entries[0], follows_place) {
                last_place_end = i + n;
                let best = &entries[0];
                // "County Cork", "Lake Erie": keep the word that opens the name.
                let prefixed = i > 0
                    && segment.free(i - 1, i)
                    && GEO_PREFIXES.contains(&segment.words[i - 1].key.as_str())
                    && (segment.words[i - 1].capitalised || !words[0].capitalised)
                    && !matches!(
                        segment.words[i - 1].key.as_str(),
                        "new" | "north" | "south" | "east" | "west" | "upper" | "lower"
                    );
                if prefixed {
                    let first = &segment.words[i - 1];
                    let said = slice(segment.text, first.start, words[n - 1].end);
                    let name = if first.capitalised { said } else { title_case(&said) };
                    let fact =
                        Fact::Place { name, place: best.kind, country: Some(best.country.clone()) };
                    hits.push(segment.hit(fact, i - 1, i + n, confidence));
                    i += n;
                    continue 'words;
                }
                let fact = Fact::Place {
                    name: best.name.clone(),
                    place: best.kind,
                    country: Some(best.country.clone()),
                };
                hits.push(segment.hit(fact, i, i + n, confidence));
                i += n;
                continue 'words;
            }
        }
        i += 1;
    }
    hits
}

/// How sure a gazetteer match is, or `None` to let it go.
fn judge(
    segment: &Segment<'_>,
    lex: &Lexicon,
    at: usize,
    n: usize,
    best: &PlaceEntry,
    follows_place: bool,
) -> Option<f64> {
    let words = &segment.words[at..at + n];
    let cue = locative_before(segment, at) || follows_place;
    let capitalised = words.iter().all(|w| w.capitalised);
    let first = &words[0];
    if words.iter().any(|w| {
        FUNCTION_WORDS.contains(&w.key.as_str()) && n == 1
            || CALENDAR_WORDS.contains(&w.key.as_str())
            || is_relation_word(&w.key)
    }) {
        return None;
    }
    // Lowercase text mid-sentence that someone wrote with capitals elsewhere: trust the cue.
    let common = words
        .iter()
        .all(|w| lex.common_level(&w.key).is_some() || FUNCTION_WORDS.contains(&w.key.as_str()));
    if common {
        let ok = cue && (capitalised && !(first.sentence_start && n == 1) || n > 1);
        if !ok {
            return None;
        }
        return Some(0.6);
    }
    // "London", "Georgia", "Florence" are given names too: without "in" or "to" before them,
    // only a great city or a country is read as the place.
    if n == 1 && lex.is_given_name(&first.key) && !cue {
        let great = best.kind == PlaceKind::Country || best.population >= 1_000_000;
        return great.then_some(0.6);
    }
    // A small town's name in lowercase with no "in" or "to" before it is more likely a word
    // ("folding conchas") than the town.
    if best.kind == PlaceKind::City && best.population < 100_000 && !cue && !capitalised {
        return None;
    }
    if segment.cased && !capitalised {
        return None;
    }
    let base: f64 = match best.kind {
        PlaceKind::Country | PlaceKind::Region => 0.8,
        PlaceKind::City if best.population >= 1_000_000 => 0.8,
        PlaceKind::City if best.population >= 100_000 => 0.7,
        _ => 0.5,
    };
    let mut confidence = base + if cue { 0.15 } else { 0.0 } + if capitalised { 0.05 } else { 0.0 };
    if n == 1 && first.key.chars().count() <= 3 && !capitalised {
        confidence -= 0.2;
    }
    (confidence >= 0.45).then_some(confidence.min(0.95))
}

/// "the farm on Route 9", "the mill on Water Street", "Aunt Carmen's bakery", "grandma's
/// house", "Elm Street".
fn local_places(segment: &mut Segment<'_>, lex: &Lexicon) -> Vec<Hit> {
    let mut hits = Vec::new();
    let mut i = 0;
    while i < segment.words.len() {
        if let Some((hit, next)) = noun_on_street(segment, lex, i)
            .or_else(|| possessed_place(segment, lex, i))
            .or_else(|| {
                street(segment, lex, i).map(|(first, end)| {
                    let name = title_case(
                        &slice(
                            segment.text,
                            segment.words[first].start,
                            segment.words[end - 1].end,
                        )
                        .to_lowercase(),
                    );
                    let name = keep_capitals(segment, first, end, name);
                    let fact = Fact::Place { name, place: PlaceKind::Local, country: None };
                    (segment.hit(fact, first, end, 0.7), end)
                })
            })
        {
            hits.push(hit);
            i = next;
        } else {
            i += 1;
        }
    }
    hits
}

/// The span as written when it carries capitals, else `fallback`.
fn keep_capitals(segment: &Segment<'_>, first: usize, end: usize, fallback: String) -> String {
    if segment.words[first..end].iter().any(|w| w.capitalised) {
        slice(segment.text, segment.words[first].start, segment.words[end - 1].end)
    } else {
        fallback
    }
}

/// A street name starting at `at`: "Water Street", "Route 9", "Highway 61": (first, end).
fn street(segment: &Segment<'_>, lex: &Lexicon, at: usize) -> Option<(usize, usize)> {
    let word = segment.words.get(at)?;
    if matches!(word.key.as_str(), "route" | "highway") {
        let next = segment.words.get(at + 1)?;
        if next.norm.chars().all(|c| c.is_ascii_digit()) && segment.free(at, at + 2) {
            return Some((at, at + 2));
        }
        let (_, used) = super::numbers::small_number(&segment.words, at + 1)?;
        return segment.free(at, at + 1 + used).then_some((at, at + 1 + used));
    }
    // One or two name words, then a street word.
    for n in [2, 1] {
        let end = at + n;
        let Some(street_word) = segment.words.get(end) else { continue };
        if !STREET_WORDS.contains(&street_word.key.as_str()) || !segment.free(at, end + 1) {
            continue;
        }
        let names = &segment.words[at..end];
        let plausible = names.iter().all(|w| {
            !FUNCTION_WORDS.contains(&w.key.as_str())
                && !w.possessive
                && (w.capitalised || lex.common_level(&w.key).is_none_or(|l| l >= 20) || n == 1)
        });
        // Lowercase "the main road" is no name; "main street", "elm street" are.
        let determiner = at > 0
            && matches!(
                segment.norm(at - 1),
                "the"
                    | "a"
                    | "that"
                    | "this"
                    | "my"
                    | "our"
                    | "his"
                    | "her"
                    | "their"
                    | "your"
                    | "its"
            );
        let named = (names.iter().all(|w| w.capitalised) || !segment.cased) && !determiner;
        if plausible && named {
            return Some((at, end + 1));
        }
    }
    None
}

/// "the farm on Route 9": a local noun with a street after it.
fn noun_on_street(segment: &mut Segment<'_>, lex: &Lexicon, at: usize) -> Option<(Hit, usize)> {
    if !matches!(segment.norm(at), "the" | "our" | "my") {
        return None;
    }
    let noun = at + 1;
    if !LOCAL_NOUNS.contains(&segment.words.get(noun)?.key.as_str()) {
        return None;
    }
    if !matches!(segment.norm(noun + 1), "on" | "in" | "at" | "off" | "by" | "near") {
        return None;
    }
    let (first, end) = street(segment, lex, noun + 2)?;
    if !segment.free(at, end) || first != noun + 2 {
        return None;
    }
    let start = if segment.norm(at) == "the" { at } else { noun };
    let said = slice(segment.text, segment.words[start].start, segment.words[end - 1].end);
    let name = if said.chars().any(char::is_uppercase) { said } else { title_street(&said) };
    let fact = Fact::Place { name, place: PlaceKind::Local, country: None };
    Some((segment.hit(fact, start, end, 0.75), end))
}

/// "the farm on route 9" → "the farm on Route 9".
fn title_street(said: &str) -> String {
    let words: Vec<&str> = said.split(' ').collect();
    let on = words.iter().position(|w| matches!(*w, "on" | "in" | "at" | "off" | "by" | "near"));
    match on {
        Some(p) => format!("{} {}", words[..=p].join(" "), title_case(&words[p + 1..].join(" "))),
        None => said.to_string(),
    }
}

/// "Aunt Carmen's bakery", "grandma's house", "Mr. Chen's shop", "Ahmed's café".
fn possessed_place(segment: &mut Segment<'_>, lex: &Lexicon, at: usize) -> Option<(Hit, usize)> {
    // The owner's words end with a possessive; the place noun follows.
    let mut end_owner = at;
    while end_owner < segment.words.len()
        && end_owner < at + 3
        && !segment.words[end_owner].possessive
    {
        end_owner += 1;
    }
    let owner_last = segment.words.get(end_owner)?;
    if !owner_last.possessive {
        return None;
    }
    let noun = end_owner + 1;
    let noun_word = segment.words.get(noun)?;
    if !LOCAL_NOUNS.contains(&noun_word.key.as_str())
        || noun_word.key == "place" && !owner_last.capitalised
    {
        return None;
    }
    let owner = &segment.words[at..=end_owner];
    if owner.iter().any(|w| FUNCTION_WORDS.contains(&w.key.as_str())) {
        return None;
    }
    // Every owner word a title, relation, honorific or name.
    let name_like = |w: &super::text::Word| {
        is_relation_word(&w.key)
            || super::vocab::HONORIFICS.contains(&w.key.as_str())
            || w.capitalised
            || lex.is_given_name(&w.key)
            || (lex.has_words() && lex.common_level(&w.key).is_none())
    };
    if !owner.iter().all(name_like) {
        return None;
    }
    if at > 0 && matches!(segment.norm(at - 1), "his" | "her" | "their") {
        return None;
    }
    let said = slice(segment.text, segment.words[at].start, segment.words[noun].end);
    let name = if said.chars().next().is_some_and(char::is_uppercase) {
        said
    } else {
        let owner_text = slice(segment.text, segment.words[at].start, segment.words[end_owner].end);
        let noun_text = slice(segment.text, noun_word.start, noun_word.end);
        format!("{} {}", title_case(&owner_text.to_lowercase()), noun_text)
    };
    let fact = Fact::Place { name, place: PlaceKind::Local, country: None };
    Some((segment.hit(fact, at, noun + 1, 0.7), noun + 1))
}
