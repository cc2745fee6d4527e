//! Conversions between the graph's types and their SQL representation, and input validation.

use super::model::*;
use super::GraphError;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

macro_rules! text_enum {
    ($ty:ty { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// The stable text form used in the database and in JSON.
            pub fn as_str(self) -> &'static str {
                match self { $(<$ty>::$variant => $text),+ }
            }
            /// Parses the stable text form.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(<$ty>::$variant),)+ _ => None }
            }
        }
        impl ToSql for $ty {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }
        impl FromSql for $ty {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let text = value.as_str()?;
                <$ty>::parse(text).ok_or(FromSqlError::InvalidType)
            }
        }
    };
}

text_enum!(MemorySource { Voice => "voice", Text => "text", Photo => "photo" });
text_enum!(FactStatus { Inferred => "inferred", Confirmed => "confirmed" });
text_enum!(EntityKind {
    Person => "person", Place => "place", Period => "period",
    Event => "event", Emotion => "emotion", Topic => "topic",
});
text_enum!(MediaKind { Photo => "photo", Video => "video" });
text_enum!(LifeStage {
    EarlyChildhood => "early_childhood", Childhood => "childhood", Adolescence => "adolescence",
    YoungAdulthood => "young_adulthood", Adulthood => "adulthood", MiddleAge => "middle_age",
    LaterLife => "later_life",
});

/// Years a memory may be placed in.
pub(crate) const YEARS: std::ops::RangeInclusive<i32> = 1000..=3000;

/// `about_when` as stored: precision, day-number bounds (yyyymmdd) and life stage.
pub(crate) struct AboutColumns {
    pub precision: Option<&'static str>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub stage: Option<LifeStage>,
    /// Timeline order key.
    pub sort: Option<i64>,
}

/// Sort keys of life stages start after every calendar date (year 3000 is the last allowed).
const LIFE_STAGE_SORT_BASE: i64 = 30_010_000;

fn day_number(year: i32, month: u8, day: u8) -> i64 {
    i64::from(year) * 10_000 + i64::from(month) * 100 + i64::from(day)
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

fn check_year(year: i32) -> Result<(), GraphError> {
    if YEARS.contains(&year) {
        Ok(())
    } else {
        Err(GraphError::invalid("year out of range 1000..=3000"))
    }
}

/// Validates `about` and encodes it for storage.
pub(crate) fn encode_about(about: Option<AboutWhen>) -> Result<AboutColumns, GraphError> {
    let Some(about) = about else {
        return Ok(AboutColumns { precision: None, from: None, to: None, stage: None, sort: None });
    };
    let (precision, from, to) = match about {
        AboutWhen::Day { year, month, day } => {
            check_year(year)?;
            if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
                return Err(GraphError::invalid("no such calendar day"));
            }
            ("day", day_number(year, month, day), day_number(year, month, day))
        }
        AboutWhen::Month { year, month } => {
            check_year(year)?;
            if !(1..=12).contains(&month) {
                return Err(GraphError::invalid("month out of range 1..=12"));
            }
            (
                "month",
                day_number(year, month, 1),
                day_number(year, month, days_in_month(year, month)),
            )
        }
        AboutWhen::Year { year } => {
            check_year(year)?;
            ("year", day_number(year, 1, 1), day_number(year, 12, 31))
        }
        AboutWhen::YearRange { from, to } => {
            check_year(from)?;
            check_year(to)?;
            if from > to {
                return Err(GraphError::invalid("year range ends before it starts"));
            }
            ("year_range", day_number(from, 1, 1), day_number(to, 12, 31))
        }
        AboutWhen::Decade { start } => {
            check_year(start)?;
            if start % 10 != 0 {
                return Err(GraphError::invalid("a decade starts on a year divisible by 10"));
            }
            ("decade", day_number(start, 1, 1), day_number(start + 9, 12, 31))
        }
        AboutWhen::LifeStage { stage } => {
            return Ok(AboutColumns {
                precision: Some("life_stage"),
                from: None,
                to: None,
                stage: Some(stage),
                sort: Some(LIFE_STAGE_SORT_BASE + stage as i64),
            })
        }
    };
    Ok(AboutColumns {
        precision: Some(precision),
        from: Some(from),
        to: Some(to),
        stage: None,
        sort: Some(from),
    })
}

/// Decodes stored `about_when` columns; inconsistent rows read as undated rather than failing.
pub(crate) fn decode_about(
    precision: Option<String>,
    from: Option<i64>,
    to: Option<i64>,
    stage: Option<LifeStage>,
) -> Option<AboutWhen> {
    let year = |n: i64| (n / 10_000) as i32;
    let month = |n: i64| ((n / 100) % 100) as u8;
    let day = |n: i64| (n % 100) as u8;
    match (precision.as_deref(), from, to) {
        (Some("day"), Some(f), _) => {
            Some(AboutWhen::Day { year: year(f), month: month(f), day: day(f) })
        }
        (Some("month"), Some(f), _) => Some(AboutWhen::Month { year: year(f), month: month(f) }),
        (Some("year"), Some(f), _) => Some(AboutWhen::Year { year: year(f) }),
        (Some("year_range"), Some(f), Some(t)) => {
            Some(AboutWhen::YearRange { from: year(f), to: year(t) })
        }
        (Some("decade"), Some(f), _) => Some(AboutWhen::Decade { start: year(f) }),
        (Some("life_stage"), _, _) => stage.map(|stage| AboutWhen::LifeStage { stage }),
        _ => None,
    }
}

/// Checks a piece of user text: not blank, at most `max_chars` characters, no NUL.
pub(crate) fn check_text(text: &str, field: &str, max_chars: usize) -> Result<(), GraphError> {
    if text.trim().is_empty() {
        return Err(GraphError::invalid(format!("{field} is empty")));
    }
    if text.contains('\0') {
        return Err(GraphError::invalid(format!("{field} contains a NUL character")));
    }
    // Noncharacters: never in interchanged text; reserved for internal markers.
    if text.chars().any(|c| ('\u{FDD0}'..='\u{FDEF}').contains(&c)) {
        return Err(GraphError::invalid(format!("{field} contains a Unicode noncharacter")));
    }
    if text.chars().count() > max_chars {
        return Err(GraphError::invalid(format!("{field} is longer than {max_chars} characters")));
    }
    Ok(())
}

/// Checks a confidence value.
pub(crate) fn check_confidence(confidence: f64) -> Result<(), GraphError> {
    if (0.0..=1.0).contains(&confidence) {
        Ok(())
    } else {
        Err(GraphError::invalid("confidence outside 0..=1"))
    }
}

/// Normalised form of a name, for matching aliases: case-folded, whitespace collapsed.
pub(crate) fn normalize_name(name: &str) -> String {
    name.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>().join(" ")
}

/// `text` with LIKE's wildcards escaped (for `LIKE … ESCAPE '\'`).
pub(crate) fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// The characters `[start, end)` of `text`, or `None` if the span does not fit.
pub(crate) fn char_slice(text: &str, start: u32, end: u32) -> Option<&str> {
    if start >= end {
        return None;
    }
    let mut indices = text.char_indices().map(|(i, _)| i).chain(std::iter::once(text.len()));
    let begin = indices.nth(start as usize)?;
    let finish = indices.nth((end - start - 1) as usize)?;
    text.get(begin..finish)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_slice_counts_characters_not_bytes() {
        let text = "Abuela José 🌻 北京";
        assert_eq!(char_slice(text, 7, 11), Some("José"));
        assert_eq!(char_slice(text, 12, 13), Some("🌻"));
        assert_eq!(char_slice(text, 14, 16), Some("北京"));
        assert_eq!(char_slice(text, 14, 17), None);
        assert_eq!(char_slice(text, 3, 3), None);
    }

    #[test]
    fn about_when_round_trips_and_validates() {
        let cases = [
            AboutWhen::Day { year: 1962, month: 2, day: 28 },
            AboutWhen::Day { year: 2000, month: 2, day: 29 },
            AboutWhen::Month { year: 1945, month: 5 },
            AboutWhen::Year { year: 1970 },
            AboutWhen::YearRange { from: 1939, to: 1945 },
            AboutWhen::Decade { start: 1960 },
            AboutWhen::LifeStage { stage: LifeStage::Childhood },
        ];
        for about in cases {
            let c = encode_about(Some(about)).expect("valid");
            let back = decode_about(c.precision.map(String::from), c.from, c.to, c.stage);
            assert_eq!(back, Some(about));
        }
        for bad in [
            AboutWhen::Day { year: 1900, month: 2, day: 29 },
            AboutWhen::Day { year: 1962, month: 13, day: 1 },
            AboutWhen::Month { year: 1962, month: 0 },
            AboutWhen::Year { year: 99 },
            AboutWhen::YearRange { from: 1950, to: 1940 },
            AboutWhen::Decade { start: 1965 },
        ] {
            assert!(
                matches!(encode_about(Some(bad)), Err(GraphError::InvalidInput { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn names_normalise_for_matching() {
        assert_eq!(normalize_name("  Grandma   ROSA "), "grandma rosa");
        assert_eq!(normalize_name("JOSÉ"), "josé");
    }
}
