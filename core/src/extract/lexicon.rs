//! The data the rules consult, loaded from the folder `models/fetch.sh` builds
//! (`$HEIRLOOM_MODELS/lexicon`): a GeoNames gazetteer, given names, common English words and
//! VADER valences. All of it is optional at run time: without it extraction still finds
//! relations, periods, events and emotions, and places only from home-like phrases.

use super::text::fold;
use super::ExtractError;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// What kind of place a gazetteer entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaceKind {
    Country,
    Region,
    City,
    /// A place named by how the teller knows it: "the farm on Route 9", "Aunt Carmen's bakery".
    Local,
}

/// One gazetteer entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlaceEntry {
    pub name: String,
    pub kind: PlaceKind,
    pub country: String,
    pub population: u32,
}

/// Lexical data for extraction.
#[derive(Debug, Default)]
pub(crate) struct Lexicon {
    /// Folded name ("krakow", "county cork") → entries, most important first.
    places: HashMap<String, Vec<PlaceEntry>>,
    pub max_place_words: usize,
    given_names: HashSet<String>,
    /// Common English word → SCOWL level (10 most common … 35).
    common: HashMap<String, u8>,
    valence: HashMap<String, f32>,
    /// Cities with positions (`places_geo.tsv`, optional: older lexicon folders lack it).
    pub geo: super::geo::GeoIndex,
}

fn read(dir: &Path, file: &'static str) -> Result<String, ExtractError> {
    std::fs::read_to_string(dir.join(file)).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ExtractError::LexiconMissing { file },
        // Unreadable or not UTF-8: malformed as a whole.
        _ => ExtractError::LexiconInvalid { file, line: 0 },
    })
}

impl Lexicon {
    /// Loads every file of the lexicon folder.
    pub fn load(dir: &Path) -> Result<Self, ExtractError> {
        let mut lexicon = Lexicon::default();
        let invalid = |file: &'static str, line: usize| ExtractError::LexiconInvalid { file, line };
        for (n, line) in read(dir, "gazetteer.tsv")?.lines().enumerate() {
            let f: Vec<&str> = line.split('\t').collect();
            let [name, kind, country, population] = f[..] else {
                return Err(invalid("gazetteer.tsv", n + 1));
            };
            let kind = match kind {
                "country" => PlaceKind::Country,
                "region" => PlaceKind::Region,
                "city" => PlaceKind::City,
                _ => return Err(invalid("gazetteer.tsv", n + 1)),
            };
            let population = population.parse().map_err(|_| invalid("gazetteer.tsv", n + 1))?;
            let key = place_key(name);
            lexicon.max_place_words = lexicon.max_place_words.max(key.split(' ').count());
            lexicon.places.entry(key).or_default().push(PlaceEntry {
                name: name.to_string(),
                kind,
                country: country.to_string(),
                population,
            });
        }
        for entries in lexicon.places.values_mut() {
            entries.sort_by_key(|e| (rank(e.kind), std::cmp::Reverse(e.population)));
        }
        lexicon.given_names = read(dir, "given_names.txt")?.lines().map(fold).collect();
        for (n, line) in read(dir, "common_words.txt")?.lines().enumerate() {
            let (word, level) =
                line.split_once('\t').ok_or_else(|| invalid("common_words.txt", n + 1))?;
            let level = level.parse().map_err(|_| invalid("common_words.txt", n + 1))?;
            lexicon.common.insert(word.to_string(), level);
        }
        for (n, line) in read(dir, "valence.tsv")?.lines().enumerate() {
            let (word, value) =
                line.split_once('\t').ok_or_else(|| invalid("valence.tsv", n + 1))?;
            let value = value.parse().map_err(|_| invalid("valence.tsv", n + 1))?;
            lexicon.valence.insert(word.to_string(), value);
        }
        match std::fs::read_to_string(dir.join("places_geo.tsv")) {
            Ok(text) => {
                lexicon.geo = super::geo::GeoIndex::parse(&text)
                    .map_err(|line| invalid("places_geo.tsv", line))?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(_) => return Err(invalid("places_geo.tsv", 0)),
        }
        Ok(lexicon)
    }

    /// Gazetteer entries for a folded, space-joined name.
    pub fn places(&self, key: &str) -> Option<&[PlaceEntry]> {
        self.places.get(key).map(Vec::as_slice)
    }

    /// Whether a gazetteer is loaded.
    pub fn has_places(&self) -> bool {
        !self.places.is_empty()
    }

    pub fn is_given_name(&self, key: &str) -> bool {
        self.given_names.contains(key)
    }

    /// The SCOWL level of a common English word (10 = most common), if it is one.
    pub fn common_level(&self, key: &str) -> Option<u8> {
        self.common.get(key).copied()
    }

    /// Whether the lexicon has a word list (without one, nothing is known to be common).
    pub fn has_words(&self) -> bool {
        !self.common.is_empty()
    }

    /// VADER valence of a word, -4..=4.
    pub fn valence(&self, key: &str) -> Option<f32> {
        self.valence.get(key).copied()
    }
}

/// Countries before regions before cities: "Georgia" the country outranks nothing, but
/// "Victoria" the state outranks a small town of the name.
fn rank(kind: PlaceKind) -> u8 {
    match kind {
        PlaceKind::Country => 0,
        PlaceKind::Region => 1,
        PlaceKind::City => 2,
        PlaceKind::Local => 3,
    }
}

/// The lookup key of a place name: folded, hyphens and dots as spaces, single spaces.
pub(crate) fn place_key(name: &str) -> String {
    fold(name).replace(['-', '.', ','], " ").split_whitespace().collect::<Vec<_>>().join(" ")
}
