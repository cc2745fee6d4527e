//! Records, enums and the listener of kiosk mode as the apps see them.

use heirloom_core::consent::GivenBy;
use heirloom_core::interview::{PromptSet as CorePromptSet, SetGroup};
use heirloom_core::kiosk::{self as core, ConsentState, LockReason, Pacing, Permission, Role};

#[uniffi::remote(Enum)]
pub enum Role {
    CareWorker,
    ActivityCoordinator,
    Administrator,
}

#[uniffi::remote(Enum)]
pub enum Permission {
    Record,
    ReadTranscripts,
    ViewStoryCards,
    CreateResidents,
    RecordConsent,
    Export,
    Delete,
    ManageStaff,
    ReadAudit,
}

#[uniffi::remote(Enum)]
pub enum Pacing {
    Standard,
    Gentle,
}

#[uniffi::remote(Enum)]
pub enum LockReason {
    Staff,
    Idle,
}

#[uniffi::remote(Enum)]
pub enum ConsentState {
    Live,
    Revoked,
    Expired,
}

#[uniffi::remote(Enum)]
pub enum SetGroup {
    Era,
    Theme,
    People,
}

/// The permission table: what `role` may do.
#[uniffi::export]
pub fn role_permissions(role: Role) -> Vec<Permission> {
    role.permissions()
}

/// Told when the kiosk locks itself (idle), on the watchdog's thread: show the lock screen.
#[uniffi::export(with_foreign)]
pub trait KioskListener: Send + Sync {
    fn on_locked(&self, reason: LockReason);
}

/// A staff member as on the lock screen.
#[derive(Clone, uniffi::Record)]
pub struct StaffMember {
    pub id: String,
    pub name: String,
    pub role: Role,
}

impl From<core::StaffMember> for StaffMember {
    fn from(s: core::StaffMember) -> Self {
        Self { id: s.id, name: s.name, role: s.role }
    }
}

/// Who is logged in and whose vault is open (Debug shows no names: see `StaffMember`).
#[derive(Debug, Clone, uniffi::Record)]
pub struct KioskStatus {
    pub staff: Option<StaffMember>,
    pub resident_id: Option<String>,
    pub idle_lock_ms: i64,
}

impl From<core::KioskStatus> for KioskStatus {
    fn from(s: core::KioskStatus) -> Self {
        Self {
            staff: s.staff.map(Into::into),
            resident_id: s.resident_id,
            idle_lock_ms: s.idle_lock_ms,
        }
    }
}

/// A resident's profile.
#[derive(Clone, uniffi::Record)]
pub struct ResidentProfile {
    pub display_name: String,
    pub preferred_name: String,
    /// BCP 47 ("en-GB").
    pub language: String,
    pub large_type: bool,
    pub pacing: Pacing,
    pub bereavement_mode: bool,
    pub avoid_topics: Vec<String>,
    pub avoid_people: Vec<String>,
}

impl std::fmt::Debug for ResidentProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResidentProfile(<personal>)")
    }
}

impl From<ResidentProfile> for core::ResidentProfile {
    fn from(p: ResidentProfile) -> Self {
        Self {
            display_name: p.display_name,
            preferred_name: p.preferred_name,
            language: p.language,
            large_type: p.large_type,
            pacing: p.pacing,
            bereavement_mode: p.bereavement_mode,
            avoid_topics: p.avoid_topics,
            avoid_people: p.avoid_people,
        }
    }
}

impl From<core::ResidentProfile> for ResidentProfile {
    fn from(p: core::ResidentProfile) -> Self {
        Self {
            display_name: p.display_name,
            preferred_name: p.preferred_name,
            language: p.language,
            large_type: p.large_type,
            pacing: p.pacing,
            bereavement_mode: p.bereavement_mode,
            avoid_topics: p.avoid_topics,
            avoid_people: p.avoid_people,
        }
    }
}

/// A resident on the picker.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Resident {
    pub id: String,
    pub created_ms: i64,
    pub profile: ResidentProfile,
    /// The name to address them by.
    pub name_to_use: String,
    pub has_photo: bool,
}

impl From<core::Resident> for Resident {
    fn from(r: core::Resident) -> Self {
        let name_to_use = r.profile.name_to_use().to_owned();
        Self {
            id: r.id,
            created_ms: r.created_ms,
            profile: r.profile.into(),
            name_to_use,
            has_photo: r.has_photo,
        }
    }
}

/// One audit log entry: ids only.
#[derive(Debug, Clone, uniffi::Record)]
pub struct AuditRecord {
    pub seq: i64,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub resident: String,
    pub object: Option<String>,
}

impl From<core::AuditEntry> for AuditRecord {
    fn from(e: core::AuditEntry) -> Self {
        Self {
            seq: e.seq,
            at_ms: e.at_ms,
            actor: e.actor,
            action: e.action,
            resident: e.resident,
            object: e.object,
        }
    }
}

/// Who consents: the resident, or a proxy with their relation and a note on capacity.
#[derive(Clone, uniffi::Enum)]
pub enum ConsentBy {
    Resident,
    Proxy { name: String, relation: String, capacity_note: String },
}

impl From<ConsentBy> for core::ConsentBy {
    fn from(b: ConsentBy) -> Self {
        match b {
            ConsentBy::Resident => Self::Resident,
            ConsentBy::Proxy { name, relation, capacity_note } => {
                Self::Proxy { name, relation, capacity_note }
            }
        }
    }
}

/// Who gave a consent or approval: `proxy_name` and `relation` are empty for the resident.
#[derive(Clone, uniffi::Record)]
pub struct GivenByView {
    pub by_proxy: bool,
    pub proxy_name: Option<String>,
    pub relation: Option<String>,
    pub capacity_note: Option<String>,
}

fn given_by(g: GivenBy, proxy_name: Option<String>) -> GivenByView {
    match g {
        GivenBy::Owner => {
            GivenByView { by_proxy: false, proxy_name: None, relation: None, capacity_note: None }
        }
        GivenBy::Proxy { relation, capacity_note } => GivenByView {
            by_proxy: true,
            proxy_name,
            relation: Some(relation),
            capacity_note: Some(capacity_note),
        },
    }
}

/// One consent as the kiosk shows it.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ConsentLine {
    pub receipt_id: String,
    pub memory_id: Option<i64>,
    pub media_id: Option<i64>,
    pub purpose: heirloom_core::consent::Purpose,
    pub given_by: GivenByView,
    pub given_at_ms: i64,
    pub expires_at_ms: Option<i64>,
    pub state: ConsentState,
}

impl From<core::ConsentLine> for ConsentLine {
    fn from(l: core::ConsentLine) -> Self {
        use heirloom_core::consent::Subject;
        let (memory_id, media_id) = match l.subject {
            Subject::Memory(id) => (Some(id), None),
            Subject::Media(id) => (None, Some(id)),
            Subject::Training => (None, None),
        };
        Self {
            receipt_id: l.receipt_id,
            memory_id,
            media_id,
            purpose: l.purpose,
            given_by: given_by(l.given_by, l.proxy_name),
            given_at_ms: l.given_at_ms,
            expires_at_ms: l.expires_at_ms,
            state: l.state,
        }
    }
}

/// An approved story card.
#[derive(Clone, uniffi::Record)]
pub struct StoryCard {
    pub text: String,
    pub approved_by: GivenByView,
    pub approved_at_ms: i64,
}

impl std::fmt::Debug for StoryCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoryCard(<personal>)")
    }
}

impl From<core::StoryCard> for StoryCard {
    fn from(c: core::StoryCard) -> Self {
        Self {
            text: c.text,
            approved_by: given_by(c.approved_by, c.proxy_name),
            approved_at_ms: c.approved_at_ms,
        }
    }
}

/// Reminiscence prompts on one era, theme, or the people in someone's life.
#[derive(Clone, uniffi::Record)]
pub struct PromptSet {
    pub group: SetGroup,
    pub title: String,
    pub prompts: Vec<String>,
    pub has_stories: bool,
}

impl From<CorePromptSet> for PromptSet {
    fn from(s: CorePromptSet) -> Self {
        Self { group: s.group, title: s.title, prompts: s.prompts, has_stories: s.has_stories }
    }
}

/// One memory queued for the family.
#[derive(Debug, Clone, uniffi::Record)]
pub struct QueuedShare {
    pub memory_id: i64,
    pub outbox_item_id: i64,
}

/// What a family export did: queued shares, and memories that stay (no family consent).
#[derive(Debug, Clone, uniffi::Record)]
pub struct FamilyExport {
    pub queued: Vec<QueuedShare>,
    pub without_consent: Vec<i64>,
}

impl From<core::FamilyExport> for FamilyExport {
    fn from(e: core::FamilyExport) -> Self {
        Self {
            queued: e
                .queued
                .into_iter()
                .map(|(memory_id, outbox_item_id)| QueuedShare { memory_id, outbox_item_id })
                .collect(),
            without_consent: e.without_consent,
        }
    }
}

impl std::fmt::Debug for StaffMember {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffMember")
            .field("id", &self.id)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ConsentBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ConsentBy::Resident => "ConsentBy::Resident",
            ConsentBy::Proxy { .. } => "ConsentBy::Proxy(<personal>)",
        })
    }
}

impl std::fmt::Debug for GivenByView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GivenByView").field("by_proxy", &self.by_proxy).finish_non_exhaustive()
    }
}

impl std::fmt::Debug for PromptSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PromptSet")
            .field("group", &self.group)
            .field("prompts", &self.prompts.len())
            .finish_non_exhaustive()
    }
}
