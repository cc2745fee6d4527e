//! Words of a transcript segment with their character offsets, in the form the rules match on:
//! case-folded, accents kept apart, apostrophes unified. Recognisers often write lowercase
//! without punctuation, so nothing here depends on capitals; capitals are kept as a hint.

use unicode_normalization::UnicodeNormalization;

/// One word of a segment.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Word {
    /// Case-folded, `’` as `'`, hyphens kept ("sixty-two").
    pub norm: String,
    /// `norm` without a possessive `'s` and without accents: what lexicons are keyed by.
    pub key: String,
    /// True when the word ended with a possessive `'s` (or `s'`).
    pub possessive: bool,
    /// Character offsets `[start, end)` in the segment's text.
    pub start: u32,
    pub end: u32,
    /// The first letter was a capital.
    pub capitalised: bool,
    /// Two or more letters, all capitals: an acronym ("RAF"), never a name.
    pub all_caps: bool,
    /// The word opens a sentence (the segment's first word, or after `.`, `!`, `?`).
    pub sentence_start: bool,
    /// A comma, colon, semicolon or dash came right before the word.
    pub after_pause: bool,
}

const ABBREVIATIONS: &[&str] =
    &["mr", "mrs", "ms", "dr", "st", "jr", "sr", "mt", "ft", "prof", "rev"];

/// Splits `text` into words. Digits count as word characters ("1962", "60s").
pub(crate) fn words(text: &str) -> Vec<Word> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut sentence_start = true;
    let mut after_pause = false;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphanumeric() {
            let start = i;
            while i < chars.len() {
                let c = chars[i];
                let joiner = matches!(c, '\'' | '’' | '-' | '‘')
                    && i + 1 < chars.len()
                    && chars[i + 1].is_alphanumeric()
                    && i > start;
                if c.is_alphanumeric() || joiner {
                    i += 1;
                } else {
                    break;
                }
            }
            let raw: String = chars[start..i].iter().collect();
            // "parents'" : a trailing apostrophe after s is a plural possessive.
            let mut end = i;
            let mut possessive = false;
            if i < chars.len() && matches!(chars[i], '\'' | '’') && raw.ends_with(['s', 'S']) {
                possessive = true;
                end = i + 1;
                i += 1;
            }
            let norm: String = raw.replace(['’', '‘'], "'").to_lowercase();
            let (base, s_possessive) = match norm.strip_suffix("'s") {
                Some(base) if !base.is_empty() => (base.to_string(), true),
                _ => (norm.clone(), false),
            };
            out.push(Word {
                key: fold(&base),
                norm,
                possessive: possessive || s_possessive,
                start: start as u32,
                end: end as u32,
                capitalised: raw.chars().next().is_some_and(char::is_uppercase),
                all_caps: raw.chars().count() >= 2 && raw.chars().all(|c| !c.is_lowercase()),
                sentence_start,
                after_pause,
            });
            sentence_start = false;
            after_pause = false;
        } else {
            match c {
                // "Mrs. Patterson", "St. Louis": an abbreviation's dot ends no sentence.
                '.' if out.last().is_some_and(|w: &Word| {
                    w.end as usize == i && ABBREVIATIONS.contains(&w.norm.as_str())
                }) => {}
                '.' | '!' | '?' | '…' => sentence_start = true,
                ',' | ';' | ':' | '–' | '—' => after_pause = true,
                '-' if chars.get(i + 1).is_some_and(|c| c.is_whitespace()) => after_pause = true,
                _ => {}
            }
            i += 1;
        }
    }
    out
}

/// Lowercase without accents: "Kraków" and "krakow" meet here.
pub(crate) fn fold(text: &str) -> String {
    text.nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect::<String>()
        .to_lowercase()
        .replace(['’', '‘'], "'")
}

/// The characters `[start, end)` of `text`.
pub(crate) fn slice(text: &str, start: u32, end: u32) -> String {
    text.chars().skip(start as usize).take((end - start) as usize).collect()
}

/// Capitalises each word of a lowercase phrase for display ("county cork" → "County Cork").
pub(crate) fn title_case(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) if word.chars().all(|c| !c.is_uppercase()) => {
                    first.to_uppercase().chain(chars).collect()
                }
                _ => word.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_carry_offsets_and_hints() {
        let text = "In 1962, Grandma Rosa’s bakery—in Kraków. we left";
        let w = words(text);
        let norms: Vec<&str> = w.iter().map(|w| w.norm.as_str()).collect();
        assert_eq!(
            norms,
            ["in", "1962", "grandma", "rosa's", "bakery", "in", "kraków", "we", "left"]
        );
        assert_eq!(w[3].key, "rosa");
        assert!(w[3].possessive && w[3].capitalised);
        assert_eq!(slice(text, w[3].start, w[3].end), "Rosa’s");
        assert_eq!(w[6].key, "krakow");
        assert!(w[0].sentence_start && w[7].sentence_start && !w[1].sentence_start);
        assert!(w[2].after_pause && w[5].after_pause);
        assert_eq!(title_case("county cork"), "County Cork");
        assert_eq!(title_case("McAllen"), "McAllen");
    }

    #[test]
    fn plural_possessive_and_hyphens() {
        let w = words("my parents' farm in sixty-two");
        assert!(w[1].possessive);
        assert_eq!(w[1].key, "parents");
        assert_eq!(w[4].norm, "sixty-two");
    }
}
