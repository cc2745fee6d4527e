//! Text forms of [`AboutWhen`]: `1962-06-16`, `1962-06`, `1962`, `1939..1945`, `1960s`, or a life
//! stage name such as `childhood`. Used by the CLI and by apps that take typed dates.

use super::model::{AboutWhen, LifeStage};
use std::fmt;
use std::str::FromStr;

/// A date text that is not one of the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected YYYY-MM-DD, YYYY-MM, YYYY, YYYY..YYYY, YYYYs or a life stage")]
pub struct AboutWhenParseError;

fn year(text: &str) -> Result<i32, AboutWhenParseError> {
    if text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().map_err(|_| AboutWhenParseError)
    } else {
        Err(AboutWhenParseError)
    }
}

fn two_digits(text: &str) -> Result<u8, AboutWhenParseError> {
    if (1..=2).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().map_err(|_| AboutWhenParseError)
    } else {
        Err(AboutWhenParseError)
    }
}

impl FromStr for AboutWhen {
    type Err = AboutWhenParseError;

    /// Parses the shape only; ranges and calendar validity are checked when stored.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if let Some(stage) = LifeStage::parse(&text.to_ascii_lowercase().replace([' ', '-'], "_")) {
            return Ok(AboutWhen::LifeStage { stage });
        }
        if let Some((from, to)) = text.split_once("..") {
            return Ok(AboutWhen::YearRange { from: year(from)?, to: year(to)? });
        }
        if let Some(decade) = text.strip_suffix('s') {
            return Ok(AboutWhen::Decade { start: year(decade)? });
        }
        let parts: Vec<&str> = text.split('-').collect();
        match parts.as_slice() {
            [y] => Ok(AboutWhen::Year { year: year(y)? }),
            [y, m] => Ok(AboutWhen::Month { year: year(y)?, month: two_digits(m)? }),
            [y, m, d] => {
                Ok(AboutWhen::Day { year: year(y)?, month: two_digits(m)?, day: two_digits(d)? })
            }
            _ => Err(AboutWhenParseError),
        }
    }
}

impl fmt::Display for AboutWhen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            AboutWhen::Day { year, month, day } => write!(f, "{year:04}-{month:02}-{day:02}"),
            AboutWhen::Month { year, month } => write!(f, "{year:04}-{month:02}"),
            AboutWhen::Year { year } => write!(f, "{year:04}"),
            AboutWhen::YearRange { from, to } => write!(f, "{from:04}..{to:04}"),
            AboutWhen::Decade { start } => write!(f, "{start:04}s"),
            AboutWhen::LifeStage { stage } => f.write_str(stage.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms_round_trip() {
        for text in
            ["1962-06-16", "1962-06", "1962", "1939..1945", "1960s", "childhood", "later_life"]
        {
            let about: AboutWhen = text.parse().expect(text);
            assert_eq!(about.to_string(), text);
        }
        assert_eq!(
            "Young adulthood".parse(),
            Ok(AboutWhen::LifeStage { stage: LifeStage::YoungAdulthood })
        );
    }

    #[test]
    fn bad_forms_are_errors() {
        for text in [
            "",
            "62",
            "1962-",
            "19622",
            "1962-6-16-1",
            "sixties",
            "1960ss",
            "..1945",
            "1962-aa",
            "١٩٦٢",
        ] {
            assert!(text.parse::<AboutWhen>().is_err(), "{text}");
        }
    }
}
