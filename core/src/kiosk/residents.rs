//! Residents' profiles: what staff see on the resident picker and what shapes a session (the
//! name to use, language, large type and pacing, bereavement mode, topics and people to avoid).
//! A profile is sealed in the device database under a key derived from the kiosk master key, so
//! it opens only in an authenticated staff session, never with the device key alone.

use super::{wrap, KioskError};
use crate::keystore::SecretKey;
use serde::{Deserialize, Serialize};

/// How quickly prompts and screens move on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pacing {
    #[default]
    Standard,
    /// Longer pauses, one question at a time, more time before moving on.
    Gentle,
}

/// A resident's profile.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidentProfile {
    /// As on the resident list ("Arthur Pennington").
    pub display_name: String,
    /// What they like to be called ("Art"); the display name when empty.
    #[serde(default)]
    pub preferred_name: String,
    /// BCP 47 language for prompts and transcription ("en-GB").
    pub language: String,
    #[serde(default)]
    pub large_type: bool,
    #[serde(default)]
    pub pacing: Pacing,
    /// Recently bereaved: prompts about loss come only if the resident raises it, and
    /// questions about partners and family are gentler.
    #[serde(default)]
    pub bereavement_mode: bool,
    /// Topics never to prompt about ("the war", "hospital").
    #[serde(default)]
    pub avoid_topics: Vec<String>,
    /// People never to ask about unless the resident brings them up.
    #[serde(default)]
    pub avoid_people: Vec<String>,
}

impl std::fmt::Debug for ResidentProfile {
    // Names and avoid-lists are personal: Debug shows their shape only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResidentProfile")
            .field("language", &self.language)
            .field("large_type", &self.large_type)
            .field("pacing", &self.pacing)
            .field("bereavement_mode", &self.bereavement_mode)
            .field("avoid_topics", &self.avoid_topics.len())
            .field("avoid_people", &self.avoid_people.len())
            .finish_non_exhaustive()
    }
}

const MAX_NAME: usize = 120;
const MAX_LIST: usize = 50;

fn check_text(text: &str, required: bool) -> Result<(), KioskError> {
    let bad = |reason| Err(KioskError::InvalidInput { reason });
    if required && text.trim().is_empty() {
        return bad("a resident needs a display name");
    }
    if text.chars().count() > MAX_NAME || text.chars().any(char::is_control) {
        return bad("names and topics are at most 120 characters, without control characters");
    }
    Ok(())
}

impl ResidentProfile {
    /// The name to address the resident by.
    pub fn name_to_use(&self) -> &str {
        if self.preferred_name.trim().is_empty() {
            self.display_name.trim()
        } else {
            self.preferred_name.trim()
        }
    }

    pub(crate) fn validate(&self) -> Result<(), KioskError> {
        check_text(&self.display_name, true)?;
        check_text(&self.preferred_name, false)?;
        let lang_ok = (2..=35).contains(&self.language.len())
            && self.language.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !lang_ok {
            return Err(KioskError::InvalidInput { reason: "language is a BCP 47 tag" });
        }
        if self.avoid_topics.len() > MAX_LIST || self.avoid_people.len() > MAX_LIST {
            return Err(KioskError::InvalidInput { reason: "avoid lists hold at most 50 entries" });
        }
        for item in self.avoid_topics.iter().chain(&self.avoid_people) {
            check_text(item, true).map_err(|_| KioskError::InvalidInput {
                reason: "avoid-list entries are 1 to 120 characters",
            })?;
        }
        Ok(())
    }

    pub(crate) fn seal(&self, key: &SecretKey, resident_id: &str) -> Result<Vec<u8>, KioskError> {
        let json = zeroize::Zeroizing::new(
            serde_json::to_vec(self).map_err(|_| KioskError::Internal { what: "profile" })?,
        );
        wrap::seal(key, &[b"resident profile", resident_id.as_bytes()], &json)
    }

    pub(crate) fn open(
        key: &SecretKey,
        resident_id: &str,
        blob: &[u8],
    ) -> Result<Self, KioskError> {
        let json = wrap::open(key, &[b"resident profile", resident_id.as_bytes()], blob)
            .ok_or(KioskError::VaultKey)?;
        serde_json::from_slice(&json).map_err(|_| KioskError::Internal { what: "profile" })
    }
}

/// A resident as listed for staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resident {
    pub id: String,
    pub created_ms: i64,
    pub profile: ResidentProfile,
    pub has_photo: bool,
}

/// Re-encodes a profile photo as a 256-pixel JPEG (no metadata survives); refuses what is not
/// a readable JPEG, PNG or WebP.
pub(crate) fn profile_photo(bytes: &[u8]) -> Result<Vec<u8>, KioskError> {
    let decoded = crate::media::decode(bytes)
        .map_err(|_| KioskError::InvalidInput { reason: "the photo is not a readable image" })?;
    let (_, jpeg) = crate::media::thumbnail(&decoded.image, crate::media::THUMB_SIZES[0])
        .map_err(|_| KioskError::Internal { what: "photo" })?;
    Ok(jpeg)
}
