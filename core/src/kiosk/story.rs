//! Care features drawn from a resident's graph: the story card staff may read ("milkman for
//! 40 years; loves brass bands; wife Joan died 2019 — don't ask about her unless he brings her
//! up"), shown only once the resident or their proxy has approved its exact words (a signed
//! approval, kept in the vault); and reminiscence prompt sets, from the interviewer, that honour
//! the profile's avoid-lists and bereavement mode.

use super::audit::AuditAction;
use super::care::ConsentBy;
use super::residents::ResidentProfile;
use super::roles::Permission;
use super::{Kiosk, KioskError, ResidentVault};
use crate::consent::{self, ConsentError, GivenBy};
use crate::graph::{EntityKind, EntityQuery, MemoryGraph};
use crate::interview::{self, AvoidList, PromptSet};
use crate::seal::{OwnerKeys, VerifyingKey};
use rusqlite::OptionalExtension;
use serde_json::{json, Value};

/// Format tag of a story card approval.
pub const STORY_CARD_FORMAT: &str = "heirloom-story-card/1";
const MAX_CARD_CHARS: usize = 2_000;

/// An approved story card.
#[derive(Clone, PartialEq, Eq)]
pub struct StoryCard {
    pub text: String,
    pub approved_by: GivenBy,
    /// The proxy's name, when a proxy approved it.
    pub proxy_name: Option<String>,
    pub approved_at_ms: i64,
}

impl std::fmt::Debug for StoryCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoryCard")
            .field("approved_at_ms", &self.approved_at_ms)
            .finish_non_exhaustive()
    }
}

const CLOSE: &[&str] = &[
    "wife", "husband", "partner", "spouse", "son", "daughter", "child", "mother", "father",
    "brother", "sister",
];

fn list(items: &[String]) -> String {
    items.join(", ")
}

/// A first draft of the card from the graph and profile, for staff to edit with the resident.
pub(crate) fn draft(graph: &MemoryGraph, profile: &ResidentProfile) -> Result<String, KioskError> {
    let name = profile.name_to_use().to_owned();
    let mut lines = Vec::new();
    if profile.preferred_name.trim().is_empty() {
        lines.push(format!("{}.", profile.display_name.trim()));
    } else {
        lines.push(format!("{} — likes to be called {name}.", profile.display_name.trim()));
    }
    let entities = graph.list_entities(&EntityQuery::default())?;
    let live = entities.iter().filter(|e| !e.attributes.sensitive);
    let mut family = Vec::new();
    let mut care = Vec::new();
    let mut talked: Vec<(usize, String)> = Vec::new();
    for e in live {
        match e.kind {
            EntityKind::Person => {
                if let Some(relation) = &e.attributes.relation_to_owner {
                    let died = if e.attributes.deceased { " (died)" } else { "" };
                    family.push(format!("{relation} {}{died}", e.display_name));
                    if e.attributes.deceased && CLOSE.contains(&relation.as_str()) {
                        care.push(format!(
                            "{} has died — don't ask about {} unless {name} brings it up.",
                            e.display_name, e.display_name
                        ));
                    }
                }
            }
            EntityKind::Place | EntityKind::Event | EntityKind::Topic => {
                let count = graph.entity_view(e.id)?.memories.len();
                if count > 0 {
                    talked.push((count, e.display_name.clone()));
                }
            }
            _ => {}
        }
    }
    talked.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    family.truncate(8);
    if !family.is_empty() {
        lines.push(format!("Family and friends: {}.", list(&family)));
    }
    let talked: Vec<String> = talked.into_iter().take(6).map(|(_, n)| n).collect();
    if !talked.is_empty() {
        lines.push(format!("Often talks about: {}.", list(&talked)));
    }
    lines.extend(care);
    if !profile.avoid_people.is_empty() {
        lines.push(format!("Please don't raise: {}.", list(&profile.avoid_people)));
    }
    if !profile.avoid_topics.is_empty() {
        lines.push(format!("Topics to avoid: {}.", list(&profile.avoid_topics)));
    }
    if profile.bereavement_mode {
        lines.push("Recently bereaved: go gently.".into());
    }
    if profile.large_type {
        lines.push("Prefers large type.".into());
    }
    if profile.pacing == super::Pacing::Gentle {
        lines.push("Likes a slow pace, one question at a time.".into());
    }
    Ok(lines.join("\n"))
}

/// Reads the stored card, checking its signature and signer.
fn load(graph: &MemoryGraph, owner: VerifyingKey) -> Result<Option<StoryCard>, KioskError> {
    let row: Option<(String, i64)> = graph.database().read(|tx| {
        Ok::<_, KioskError>(
            tx.query_row("SELECT document, approved_at_ms FROM story_card WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?,
        )
    })?;
    let Some((text, approved_at_ms)) = row else { return Ok(None) };
    let bad = || KioskError::Consent(ConsentError::BadSignature);
    let doc: Value = serde_json::from_str(&text).map_err(|_| bad())?;
    let signer: VerifyingKey =
        doc["signer"].as_str().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
    signer.verify_document(&doc).map_err(|_| bad())?;
    let approved_by: GivenBy =
        serde_json::from_value(doc["given_by"].clone()).map_err(|_| bad())?;
    let proxy_name = match approved_by {
        GivenBy::Owner if signer == owner => None,
        GivenBy::Proxy { .. } => Some(
            consent::proxies(graph)?
                .into_iter()
                .find(|p| p.verifying_key == signer)
                .ok_or_else(bad)?
                .name,
        ),
        GivenBy::Owner => return Err(bad()),
    };
    if doc["principal"].as_str() != Some(owner.to_string().as_str())
        || doc["format"].as_str() != Some(STORY_CARD_FORMAT)
    {
        return Err(bad());
    }
    let text = doc["text"].as_str().ok_or_else(bad)?.to_owned();
    Ok(Some(StoryCard { text, approved_by, proxy_name, approved_at_ms }))
}

impl Kiosk {
    /// The open resident's profile, after checking `vault` is the open one and `permission`.
    fn open_profile(
        &self,
        vault: &ResidentVault,
        permission: Permission,
    ) -> Result<ResidentProfile, KioskError> {
        self.acting_on(vault, permission)?;
        Ok(self.resident(vault.resident_id())?.profile)
    }

    /// A draft story card from the open resident's graph and profile, for staff to go through
    /// with the resident (or their proxy) before approval. Needs `RecordConsent`.
    pub fn story_card_draft(&self, vault: &ResidentVault) -> Result<String, KioskError> {
        let profile = self.open_profile(vault, Permission::RecordConsent)?;
        vault.with(|g| draft(g, &profile))
    }

    /// The resident (or a proxy) approves `text` as their story card: signed, stored in the
    /// vault, replacing any earlier card. Audited as `consent` on `story-card`.
    pub fn approve_story_card(
        &self,
        vault: &ResidentVault,
        text: &str,
        by: &ConsentBy,
    ) -> Result<StoryCard, KioskError> {
        let staff = self.acting_on(vault, Permission::RecordConsent)?;
        let text = text.trim();
        if text.is_empty() || text.chars().count() > MAX_CARD_CHARS {
            return Err(KioskError::InvalidInput {
                reason: "a story card is 1 to 2,000 characters",
            });
        }
        let owner = OwnerKeys::load_or_create(vault.keys().as_ref()).map_err(ConsentError::from)?;
        let now = self.now();
        let (signer, given_by) = match by {
            ConsentBy::Resident => (owner.signing().clone(), GivenBy::Owner),
            proxy => {
                let (signer, given_by, _) = self.signer(vault, proxy)?;
                (signer, given_by)
            }
        };
        let mut doc = json!({
            "format": STORY_CARD_FORMAT,
            "text": text,
            "approved_at_ms": now,
            "given_by": given_by,
            "principal": owner.public().verifying_key.to_string(),
            "signer": signer.verifying_key().to_string(),
        });
        signer.sign_document(&mut doc).map_err(ConsentError::from)?;
        let stored = doc.to_string();
        vault.with(|g| {
            g.database().write(|tx| {
                tx.execute(
                    "INSERT INTO story_card (id, document, approved_at_ms) VALUES (1, ?1, ?2) \
                     ON CONFLICT(id) DO UPDATE SET document = ?1, approved_at_ms = ?2",
                    rusqlite::params![stored, now],
                )?;
                Ok::<_, KioskError>(())
            })
        })?;
        self.audit(&staff.id, AuditAction::Consent, vault.resident_id(), Some("story-card"))?;
        vault
            .with(|g| load(g, owner.public().verifying_key))?
            .ok_or(KioskError::Internal { what: "story card" })
    }

    /// The open resident's approved story card, if any (`ViewStoryCards`); reading it is
    /// audited. A card whose signature does not verify is an error, never shown.
    pub fn story_card(&self, vault: &ResidentVault) -> Result<Option<StoryCard>, KioskError> {
        let staff = self.acting_on(vault, Permission::ViewStoryCards)?;
        // A read creates nothing: without the resident's identity no card was ever approved.
        let Some(owner) = OwnerKeys::load(vault.keys().as_ref()).map_err(ConsentError::from)?
        else {
            return Ok(None);
        };
        let card = vault.with(|g| load(g, owner.public().verifying_key))?;
        if card.is_some() {
            self.audit(&staff.id, AuditAction::Read, vault.resident_id(), Some("story-card"))?;
        }
        Ok(card)
    }

    /// Withdraws the story card: staff no longer see it. Returns whether there was one.
    pub fn withdraw_story_card(&self, vault: &ResidentVault) -> Result<bool, KioskError> {
        let staff = self.acting_on(vault, Permission::RecordConsent)?;
        let removed = vault.with(|g| {
            g.database()
                .write(|tx| Ok::<_, KioskError>(tx.execute("DELETE FROM story_card", [])? > 0))
        })?;
        self.audit(&staff.id, AuditAction::Consent, vault.resident_id(), Some("story-card"))?;
        Ok(removed)
    }

    /// Reminiscence prompt sets for the open resident, by era, theme and people, honouring
    /// their profile's avoid-lists and bereavement mode (`ViewStoryCards`).
    pub fn prompt_sets(&self, vault: &ResidentVault) -> Result<Vec<PromptSet>, KioskError> {
        let profile = self.open_profile(vault, Permission::ViewStoryCards)?;
        let avoid = AvoidList { topics: profile.avoid_topics, people: profile.avoid_people };
        let now = self.now();
        vault.with(|g| Ok(interview::reminiscence_sets(g, &avoid, now)?))
    }
}

/// Carries the profile's settings into the vault, so the interviewer honours them too:
/// bereavement mode, topics matching the interviewer's own (marked sensitive), and people whose
/// names match (marked sensitive, so they are never raised). Run each time the vault opens.
pub(crate) fn apply_profile(
    graph: &MemoryGraph,
    profile: &ResidentProfile,
) -> Result<(), KioskError> {
    interview::set_bereavement_mode(graph, profile.bereavement_mode)?;
    for topic in &profile.avoid_topics {
        let folded = topic.trim().to_lowercase();
        for (key, label) in interview::topics() {
            if key.replace('_', " ") == folded || label.to_lowercase().contains(&folded) {
                interview::set_topic_sensitive(graph, key, true)?;
            }
        }
    }
    for name in &profile.avoid_people {
        let query = EntityQuery { kind: Some(EntityKind::Person), name: Some(name.trim().into()) };
        for entity in graph.list_entities(&query)? {
            let matches = entity.display_name.eq_ignore_ascii_case(name.trim())
                || entity.aliases.iter().any(|a| a.eq_ignore_ascii_case(name.trim()));
            if matches && !entity.attributes.sensitive {
                let attrs = crate::graph::EntityAttributes { sensitive: true, ..entity.attributes };
                graph.set_entity_attributes(entity.id, &attrs)?;
            }
        }
    }
    Ok(())
}
