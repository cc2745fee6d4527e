//! Numbers as recognisers write them: digits ("1962", "60s") or words ("nineteen sixty-two",
//! "two thousand and five", "twelve"). Each parser takes the words from a position and returns
//! the value with how many words it used.

use super::text::Word;

const UNITS: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: [&str; 8] =
    ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

fn unit(word: &str) -> Option<u32> {
    UNITS.iter().position(|u| *u == word).map(|v| v as u32)
}

fn tens(word: &str) -> Option<u32> {
    TENS.iter().position(|t| *t == word).map(|v| 20 + 10 * v as u32)
}

/// Splits hyphenated number words ("sixty-two") into parts, leaving other words whole.
fn parts(words: &[Word], at: usize, max_words: usize) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (offset, word) in words.iter().skip(at).take(max_words).enumerate() {
        for part in word.norm.split('-') {
            out.push((part.to_string(), offset + 1));
        }
    }
    out
}

/// A number below 100 in words ("twelve", "sixty two", "sixty-two"): (value, words used).
pub(crate) fn small_number(words: &[Word], at: usize) -> Option<(u32, usize)> {
    let parts = parts(words, at, 2);
    let (first, used) = parts.first()?;
    if let Some(v) = unit(first) {
        return Some((v, *used));
    }
    let t = tens(first)?;
    match parts.get(1) {
        Some((second, used2)) => match unit(second) {
            Some(u) if (1..10).contains(&u) => Some((t + u, *used2)),
            _ => Some((t, *used)),
        },
        None => Some((t, *used)),
    }
}

/// A number 0..=120 in digits or words, e.g. an age.
pub(crate) fn count(words: &[Word], at: usize) -> Option<(u32, usize)> {
    let word = words.get(at)?;
    if word.norm.chars().all(|c| c.is_ascii_digit()) && word.norm.len() <= 3 {
        return word.norm.parse().ok().filter(|v| *v <= 120).map(|v| (v, 1));
    }
    small_number(words, at)
}

/// A calendar year 1800..=2099 in digits or words: (year, words used).
pub(crate) fn year(words: &[Word], at: usize) -> Option<(i32, usize)> {
    let word = words.get(at)?;
    if word.norm.len() == 4 && word.norm.chars().all(|c| c.is_ascii_digit()) {
        let value: i32 = word.norm.parse().ok()?;
        return (1800..=2099).contains(&value).then_some((value, 1));
    }
    let parts = parts(words, at, 5);
    let (first, first_used) = parts.first()?;
    // "two thousand (and) five", "two thousand ten"
    if first == "two" && parts.get(1).is_some_and(|(p, _)| p == "thousand") {
        let mut i = 2;
        if parts.get(i).is_some_and(|(p, _)| p == "and") {
            i += 1;
        }
        let rest_at = parts.get(i).map(|(_, used)| at + used - 1);
        if let Some(rest_at) = rest_at {
            if let Some((v, used)) = small_number(words, rest_at) {
                return Some((2000 + v as i32, rest_at - at + used));
            }
        }
        return Some((2000, parts.get(1).map_or(*first_used, |(_, u)| *u)));
    }
    let century = match first.as_str() {
        "eighteen" => 1800,
        "nineteen" => 1900,
        "twenty" => 2000,
        _ => return None,
    };
    let (second, second_used) = parts.get(1)?;
    if second == "hundred" {
        // "nineteen hundred (and) five" or "nineteen hundred"
        let mut next = *second_used;
        if words.get(at + next).is_some_and(|w| w.norm == "and") {
            next += 1;
        }
        if let Some((v, used)) = small_number(words, at + next) {
            if v > 0 {
                return Some((century + v as i32, next + used));
            }
        }
        return Some((century, *second_used));
    }
    if second == "oh" || second == "o" {
        let (v, used) = small_number(words, at + second_used)?;
        return (1..10).contains(&v).then_some((century + v as i32, second_used + used));
    }
    // "nineteen sixty two": the second part must be a tens word or 10..19.
    let rest_at = at + second_used - 1;
    let (v, used) = small_number(words, rest_at)?;
    if v < 10 || (century == 2000 && first_used == second_used) {
        return None;
    }
    let year = century + v as i32;
    (1800..=2099).contains(&year).then_some((year, rest_at - at + used))
}

/// A decade: "the sixties", "the 60s", "the 1960s", "the '60s", "the nineteen sixties"
/// (without the article): (first year, words used). Two-digit decades are read in the 1900s,
/// or the 2000s for a teller born after 1990 speaking of the tens or twenties.
pub(crate) fn decade(words: &[Word], at: usize, birth_year: Option<i32>) -> Option<(i32, usize)> {
    let word = words.get(at)?;
    let norm = word.norm.trim_start_matches('\'');
    let two_digit = |d: i32| -> i32 {
        if birth_year.is_some_and(|b| b > 1990) && d <= 20 {
            2000 + d
        } else {
            1900 + d
        }
    };
    if let Some(digits) = norm.strip_suffix('s') {
        let digits = digits.trim_end_matches('\'');
        if digits.chars().all(|c| c.is_ascii_digit()) {
            let v: i32 = digits.parse().ok()?;
            return match digits.len() {
                4 if v % 10 == 0 && (1800..=2090).contains(&v) => Some((v, 1)),
                2 if v % 10 == 0 => Some((two_digit(v), 1)),
                _ => None,
            };
        }
    }
    let named = |w: &str| -> Option<i32> {
        let stem = w.strip_suffix("ies")?;
        TENS.iter().position(|t| t.strip_suffix('y') == Some(stem)).map(|i| 20 + 10 * i as i32)
    };
    if let Some(d) = named(norm) {
        return Some((two_digit(d), 1));
    }
    // "nineteen sixties"
    let century = match norm {
        "eighteen" => 1800,
        "nineteen" => 1900,
        _ => return None,
    };
    let d = named(&words.get(at + 1)?.norm)?;
    Some((century + d, 2))
}

#[cfg(test)]
mod tests {
    use super::super::text::words;
    use super::*;

    fn y(text: &str) -> Option<(i32, usize)> {
        year(&words(text), 0)
    }

    #[test]
    fn years_in_digits_and_words() {
        assert_eq!(y("1962 was"), Some((1962, 1)));
        assert_eq!(y("nineteen sixty two we"), Some((1962, 3)));
        assert_eq!(y("nineteen sixty-two"), Some((1962, 2)));
        assert_eq!(y("nineteen forty"), Some((1940, 2)));
        assert_eq!(y("nineteen oh five"), Some((1905, 3)));
        assert_eq!(y("nineteen hundred"), Some((1900, 2)));
        assert_eq!(y("two thousand and five"), Some((2005, 4)));
        assert_eq!(y("twenty twelve"), Some((2012, 2)));
        assert_eq!(y("eighteen ninety nine"), Some((1899, 3)));
        assert_eq!(y("nineteen people"), None);
        assert_eq!(y("twenty two"), None);
        assert_eq!(y("12"), None);
        assert_eq!(y("3000"), None);
    }

    #[test]
    fn decades_and_counts() {
        let d = |t: &str| decade(&words(t), 0, None);
        assert_eq!(d("sixties"), Some((1960, 1)));
        assert_eq!(d("60s"), Some((1960, 1)));
        assert_eq!(d("1970s"), Some((1970, 1)));
        assert_eq!(d("'50s"), Some((1950, 1)));
        assert_eq!(d("nineteen fifties"), Some((1950, 2)));
        assert_eq!(d("1965s"), None);
        assert_eq!(decade(&words("twenties"), 0, Some(1995)), Some((2020, 1)));
        assert_eq!(count(&words("twelve years"), 0), Some((12, 1)));
        assert_eq!(count(&words("sixty two"), 0), Some((62, 2)));
        assert_eq!(count(&words("16"), 0), Some((16, 1)));
        assert_eq!(count(&words("home"), 0), None);
    }
}
