//! The owner's profile: preferred name, birth year, languages. The birth year turns "when I
//! was twelve" and "in high school" into years; changing it re-reads every memory.

use super::codec::{check_text, YEARS};
use super::{now_ms, GraphError, MemoryGraph};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

/// Who is telling the stories.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerProfile {
    pub preferred_name: Option<String>,
    pub birth_year: Option<i32>,
    /// ISO 639-1 codes, most used first.
    pub languages: Vec<String>,
}

fn check(profile: &OwnerProfile) -> Result<(), GraphError> {
    if let Some(name) = &profile.preferred_name {
        check_text(name, "preferred name", 100)?;
    }
    if let Some(year) = profile.birth_year {
        if !YEARS.contains(&year) {
            return Err(GraphError::invalid("birth year out of range 1000..=3000"));
        }
    }
    for language in &profile.languages {
        let valid =
            (2..=3).contains(&language.len()) && language.chars().all(|c| c.is_ascii_lowercase());
        if !valid {
            return Err(GraphError::invalid("languages are ISO 639 codes such as \"en\""));
        }
    }
    Ok(())
}

pub(crate) fn load_profile(tx: &rusqlite::Transaction<'_>) -> Result<OwnerProfile, GraphError> {
    let row: Option<(Option<String>, Option<i32>, String)> = tx
        .prepare_cached(
            "SELECT preferred_name, birth_year, languages FROM owner_profile WHERE id = 1",
        )?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    Ok(match row {
        Some((preferred_name, birth_year, languages)) => OwnerProfile {
            preferred_name,
            birth_year,
            languages: serde_json::from_str(&languages).unwrap_or_default(),
        },
        None => OwnerProfile::default(),
    })
}

impl MemoryGraph {
    /// The owner's profile (empty until set).
    pub fn profile(&self) -> Result<OwnerProfile, GraphError> {
        self.db.read(load_profile)
    }

    /// Replaces the owner's profile. When the birth year changes and an extractor is attached,
    /// every memory is read again so ages and life stages land on the right years.
    pub fn set_profile(&self, profile: &OwnerProfile) -> Result<OwnerProfile, GraphError> {
        check(profile)?;
        let languages = serde_json::to_string(&profile.languages)
            .map_err(|_| GraphError::invalid("languages could not be stored"))?;
        let before = self.db.write(|tx| {
            let before = load_profile(tx)?;
            tx.execute(
                "INSERT INTO owner_profile (id, preferred_name, birth_year, languages, updated_at_ms) \
                 VALUES (1, ?1, ?2, ?3, ?4) ON CONFLICT (id) DO UPDATE SET \
                 preferred_name = excluded.preferred_name, birth_year = excluded.birth_year, \
                 languages = excluded.languages, updated_at_ms = excluded.updated_at_ms",
                params![profile.preferred_name.as_deref().map(str::trim), profile.birth_year, languages, now_ms()],
            )?;
            Ok::<_, GraphError>(before)
        })?;
        if before.birth_year != profile.birth_year {
            self.reextract_all()?;
        }
        self.profile()
    }
}
