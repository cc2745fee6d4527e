use super::*;
use crate::speech::ModelKind;
use std::sync::OnceLock;

/// The lexicon `models/fetch.sh` builds; the tests need it like the speech tests need Whisper.
pub(crate) fn extractor() -> &'static Extractor {
    static EXTRACTOR: OnceLock<Extractor> = OnceLock::new();
    EXTRACTOR.get_or_init(|| {
        Extractor::load(&Extractor::default_dir(&ModelKind::default_dir()))
            .expect("lexicon missing: run models/fetch.sh")
    })
}

fn facts(text: &str, birth_year: Option<i32>) -> Vec<Extracted> {
    extractor().extract(&[text], TellerContext { birth_year }).facts
}

fn people(text: &str) -> Vec<(Option<String>, Option<String>, bool)> {
    facts(text, None)
        .into_iter()
        .filter_map(|f| match f.fact {
            Fact::Person { name, relation, deceased } => Some((name, relation, deceased)),
            _ => None,
        })
        .collect()
}

fn person(
    name: Option<&str>,
    relation: Option<&str>,
    deceased: bool,
) -> (Option<String>, Option<String>, bool) {
    (name.map(str::to_string), relation.map(str::to_string), deceased)
}

fn places(text: &str) -> Vec<String> {
    facts(text, None)
        .into_iter()
        .filter_map(|f| match f.fact {
            Fact::Place { name, .. } => Some(name),
            _ => None,
        })
        .collect()
}

type PeriodParts = (Option<i32>, Option<i32>, Option<LifeStage>, Option<u32>);

fn periods(text: &str, birth_year: Option<i32>) -> Vec<PeriodParts> {
    facts(text, birth_year)
        .into_iter()
        .filter_map(|f| match f.fact {
            Fact::Period { from, to, stage, age, .. } => Some((from, to, stage, age)),
            _ => None,
        })
        .collect()
}

#[test]
fn relations_names_and_the_dead() {
    assert_eq!(
        people("My late husband Tom loved the sea."),
        [person(Some("Tom"), Some("husband"), true)]
    );
    assert_eq!(
        people("my late husband tom loved the sea"),
        [person(Some("Tom"), Some("husband"), true)]
    );
    assert_eq!(people("Uncle Joe came every Sunday."), [person(Some("Joe"), Some("uncle"), false)]);
    assert_eq!(people("my grandmother baked bread"), [person(None, Some("grandmother"), false)]);
    assert_eq!(people("my mother's sister lived with us"), [person(None, Some("aunt"), false)]);
    assert_eq!(
        people("my mother in law never liked me"),
        [person(None, Some("mother-in-law"), false)]
    );
    assert_eq!(people("my father died in the spring"), [person(None, Some("father"), true)]);
    assert_eq!(
        people(
            "Grandma Rosa made gnocchi. Rosa never measured anything, my grandmother just knew."
        ),
        [person(Some("Rosa"), Some("grandmother"), false)]
    );
    assert_eq!(
        people("Tomasz, my husband, fixed it."),
        [person(Some("Tomasz"), Some("husband"), false)]
    );
    assert_eq!(
        people("mrs kowalski taught us piano"),
        [person(Some("Mrs. Kowalski"), None, false)]
    );
}

#[test]
fn words_that_are_names_only_sometimes() {
    assert!(people("the sun rose over the hills").is_empty());
    assert_eq!(
        people("my sister rose was the clever one"),
        [person(Some("Rose"), Some("sister"), false)]
    );
    assert!(people("we will go in may").is_empty());
    assert!(people("he said she was late").is_empty(), "pronouns are never people");
    assert!(people("i was so happy that day").is_empty());
}

#[test]
fn places_from_the_gazetteer_and_home() {
    assert_eq!(places("I was born in Naples in 1941."), ["Naples"]);
    assert_eq!(places("we moved to ohio when i was ten"), ["Ohio"]);
    assert_eq!(places("we came from krakow"), ["Kraków"]);
    assert!(places("I was reading a nice book in the bath").is_empty());
    assert_eq!(places("We lived on the farm on Route 9."), ["the farm on Route 9"]);
    assert_eq!(places("we lived on the farm on route nine"), ["the farm on Route Nine"]);
    assert_eq!(places("I worked at Aunt Carmen's bakery."), ["Aunt Carmen's bakery"]);
}

#[test]
fn periods_in_digits_words_ages_and_stages() {
    assert_eq!(
        periods("in nineteen sixty two we married", None),
        [(Some(1962), Some(1962), None, None)]
    );
    assert_eq!(periods("from 1962 to 1965", None), [(Some(1962), Some(1965), None, None)]);
    assert_eq!(periods("back in the sixties", None), [(Some(1960), Some(1969), None, None)]);
    assert_eq!(periods("when I was twelve", None), [(None, None, None, Some(12))]);
    assert_eq!(
        periods("when i was twelve", Some(1940)),
        [(Some(1952), Some(1953), None, Some(12))]
    );
    assert_eq!(periods("in high school", None), [(None, None, Some(LifeStage::Adolescence), None)]);
    assert_eq!(periods("after the war", None), [(Some(1945), None, None, None)]);
}

#[test]
fn events_emotions_and_valence() {
    let found = extractor().extract(
        &["we got married in june and i was so proud", "i wasn't afraid at all"],
        TellerContext::default(),
    );
    let kinds: Vec<String> = found.facts.iter().map(|f| f.fact.display_name()).collect();
    assert!(kinds.contains(&"wedding".to_string()), "{kinds:?}");
    assert!(kinds.contains(&"pride".to_string()), "{kinds:?}");
    assert!(!kinds.contains(&"fear".to_string()), "negated emotion: {kinds:?}");
    assert!(found.valence[0] > 0.3);
    let sad = extractor()
        .extract(&["it was the saddest day, we buried him in the rain"], TellerContext::default());
    assert!(sad.valence[0] < -0.3, "{}", sad.valence[0]);
}

#[test]
fn spans_point_at_the_words() {
    let text = "My late husband Tom was born in Naples.";
    for fact in facts(text, None) {
        for span in &fact.spans {
            let quoted = text::slice(text, span.char_start, span.char_end);
            assert!(!quoted.is_empty() && quoted.trim() == quoted, "{quoted:?}");
        }
    }
}

#[test]
fn without_a_lexicon_relations_and_periods_still_work() {
    let bare = Extractor::without_lexicon();
    let found = bare.extract(&["My late husband Tom came home in 1946."], TellerContext::default());
    assert!(found
        .facts
        .iter()
        .any(|f| matches!(&f.fact, Fact::Person { name: Some(n), .. } if n == "Tom")));
    assert!(found.facts.iter().any(|f| matches!(&f.fact, Fact::Period { from: Some(1946), .. })));
}

#[test]
fn hostile_text_does_not_panic() {
    for text in
        ["", "'", "’s", "my", "my late", "from 1962 to", "at", "the farm on", "-", "a'b'c", "ﬁ ß İ"]
    {
        let _ = extractor().extract(&[text], TellerContext { birth_year: Some(1940) });
    }
    let long = "my grandmother rosa ".repeat(2000);
    let found = extractor().extract(&[&long], TellerContext::default());
    assert_eq!(found.facts.len(), 1);
}

#[test]
fn a_missing_or_malformed_lexicon_is_a_typed_error() {
    let dir = tempfile::tempdir().expect("dir");
    assert!(matches!(
        Extractor::load(dir.path()),
        Err(ExtractError::LexiconMissing { file: "gazetteer.tsv" })
    ));
    let real = Extractor::default_dir(&ModelKind::default_dir());
    for file in ["gazetteer.tsv", "given_names.txt", "common_words.txt", "valence.tsv"] {
        std::fs::copy(real.join(file), dir.path().join(file)).expect("copy");
    }
    assert!(Extractor::load(dir.path()).is_ok());
    // A truncated row, a bad number, a file cut mid-way: the file and line, never a crash.
    std::fs::write(dir.path().join("gazetteer.tsv"), "Naples\tcity\tIT\t959470\nTruncated\tcity\n")
        .expect("write");
    assert!(matches!(
        Extractor::load(dir.path()),
        Err(ExtractError::LexiconInvalid { file: "gazetteer.tsv", line: 2 })
    ));
    std::fs::copy(real.join("gazetteer.tsv"), dir.path().join("gazetteer.tsv")).expect("copy");
    std::fs::write(dir.path().join("valence.tsv"), "happy\tlots\n").expect("write");
    assert!(matches!(
        Extractor::load(dir.path()),
        Err(ExtractError::LexiconInvalid { file: "valence.tsv", line: 1 })
    ));
    std::fs::write(dir.path().join("valence.tsv"), [0xff, 0xfe, 0x00]).expect("write");
    assert!(
        matches!(
            Extractor::load(dir.path()),
            Err(ExtractError::LexiconInvalid { file: "valence.tsv", line: 0 })
        ),
        "not UTF-8"
    );
}

mod evaluation;
