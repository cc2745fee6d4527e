//! The graph's value types: what the store keeps and what its views return.

use serde::{Deserialize, Serialize};

/// Row id of a memory.
pub type MemoryId = i64;
/// Row id of a transcript segment.
pub type SegmentId = i64;
/// Row id of an entity.
pub type EntityId = i64;
/// Row id of a mention.
pub type MentionId = i64;
/// Row id of a relation.
pub type RelationId = i64;
/// Row id of a recording.
pub type RecordingId = i64;
/// Row id of a media item.
pub type MediaId = i64;
/// Row id of a merge proposal.
pub type MergeProposalId = i64;

/// How a memory came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemorySource {
    Voice,
    Text,
    Photo,
}

/// Whether the owner confirmed a fact or the machine inferred it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactStatus {
    Inferred,
    Confirmed,
}

/// A stage of life, for memories placed by age rather than by year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifeStage {
    EarlyChildhood,
    Childhood,
    Adolescence,
    YoungAdulthood,
    Adulthood,
    MiddleAge,
    LaterLife,
}

impl LifeStage {
    /// Every stage, in the order of a life.
    pub const ALL: [LifeStage; 7] = [
        LifeStage::EarlyChildhood,
        LifeStage::Childhood,
        LifeStage::Adolescence,
        LifeStage::YoungAdulthood,
        LifeStage::Adulthood,
        LifeStage::MiddleAge,
        LifeStage::LaterLife,
    ];
}

/// When a memory happened, at the precision the teller gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "precision", rename_all = "snake_case")]
pub enum AboutWhen {
    /// A calendar day.
    Day { year: i32, month: u8, day: u8 },
    /// A month of a year.
    Month { year: i32, month: u8 },
    /// A year.
    Year { year: i32 },
    /// An inclusive range of years.
    YearRange { from: i32, to: i32 },
    /// A decade, named by its first year (1960 for "the sixties").
    Decade { start: i32 },
    /// A life stage, with no calendar anchor yet.
    LifeStage { stage: LifeStage },
}

/// A story told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Memory {
    pub id: MemoryId,
    pub title: String,
    pub told_at_ms: i64,
    pub source: MemorySource,
    pub about_when: Option<AboutWhen>,
    /// Status of `about_when`.
    pub about_status: FactStatus,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// What it takes to create a memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewMemory {
    pub title: String,
    pub told_at_ms: i64,
    pub source: MemorySource,
    pub about_when: Option<AboutWhen>,
    pub about_status: FactStatus,
}

/// A change to a memory's own fields; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemoryUpdate {
    pub title: Option<String>,
    /// `Some(None)` clears the date.
    pub about_when: Option<Option<AboutWhen>>,
    pub about_status: Option<FactStatus>,
}

/// An audio file behind a memory; `audio_path` is relative to the data directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    pub id: RecordingId,
    pub memory_id: MemoryId,
    pub audio_path: String,
    pub duration_ms: i64,
    pub sample_rate: u32,
    /// The model whose transcript the recording's segments hold (`None`: not transcribed).
    pub transcript_model: Option<String>,
    /// The transcript's language (ISO 639-1).
    pub transcript_language: Option<String>,
}

/// One timed piece of a transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub id: SegmentId,
    pub memory_id: MemoryId,
    pub recording_id: Option<RecordingId>,
    pub ordinal: i64,
    pub start_ms: i64,
    pub end_ms: i64,
    /// What the recogniser (or the typed memory) said.
    pub machine_text: String,
    pub confidence: f64,
    /// The owner's correction, if any; it wins over `machine_text`.
    pub user_text: Option<String>,
}

impl Segment {
    /// The text to show and search: the owner's correction, else the machine's.
    pub fn text(&self) -> &str {
        self.user_text.as_deref().unwrap_or(&self.machine_text)
    }
}

/// A segment to add.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewSegment {
    pub start_ms: i64,
    pub end_ms: i64,
    pub text: String,
    pub confidence: f64,
}

/// What an entity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Person,
    Place,
    Period,
    Event,
    Emotion,
    Topic,
}

impl EntityKind {
    /// Every kind, in display order.
    pub const ALL: [EntityKind; 6] = [
        EntityKind::Person,
        EntityKind::Place,
        EntityKind::Period,
        EntityKind::Event,
        EntityKind::Emotion,
        EntityKind::Topic,
    ];
}

/// A person, place, period, event, emotion or topic in the owner's life.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    pub id: EntityId,
    pub kind: EntityKind,
    pub display_name: String,
    pub aliases: Vec<String>,
    pub attributes: EntityAttributes,
    pub status: FactStatus,
}

/// Attributes of an entity; most matter for people.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityAttributes {
    /// The person's relation to the owner, e.g. "grandmother".
    pub relation_to_owner: Option<String>,
    pub birth_year: Option<i32>,
    pub deceased: bool,
    /// Never raised by the interviewer, never shared by default.
    pub sensitive: bool,
}

/// An entity to create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEntity {
    pub kind: EntityKind,
    pub display_name: String,
    pub aliases: Vec<String>,
    pub attributes: EntityAttributes,
    pub status: FactStatus,
}

/// Where in a segment a fact was read: character offsets `[char_start, char_end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub segment_id: SegmentId,
    pub char_start: u32,
    pub char_end: u32,
}

/// An entity named in a segment: the provenance of a fact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mention {
    pub id: MentionId,
    pub entity_id: EntityId,
    pub memory_id: MemoryId,
    pub span: Span,
    /// The mentioned words (from the segment's current text).
    pub quote: String,
    pub confidence: f64,
    pub status: FactStatus,
}

/// A mention to add.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NewMention {
    pub entity_id: EntityId,
    pub span: Span,
    pub confidence: f64,
    pub status: FactStatus,
}

/// A relation between two entities ("married to", "lived in").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relation {
    pub id: RelationId,
    pub subject_id: EntityId,
    pub object_id: EntityId,
    pub kind: String,
    /// Where it was read; `None` when the owner stated it directly.
    pub provenance: Option<Span>,
    pub confidence: f64,
    pub status: FactStatus,
}

/// A relation to add.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewRelation {
    pub subject_id: EntityId,
    pub object_id: EntityId,
    pub kind: String,
    pub provenance: Option<Span>,
    pub confidence: f64,
    pub status: FactStatus,
}

/// Photo or video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Photo,
    Video,
}

/// A photo or video file; `path` is relative to the data directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Media {
    pub id: MediaId,
    pub kind: MediaKind,
    pub path: String,
    /// Hex SHA-256 of the file, so the same photo is stored once.
    pub content_hash: String,
    pub taken_at_ms: Option<i64>,
    pub place_entity_id: Option<EntityId>,
    pub status: FactStatus,
}

/// A media item to add.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewMedia {
    pub kind: MediaKind,
    pub path: String,
    pub content_hash: String,
    pub taken_at_ms: Option<i64>,
    pub place_entity_id: Option<EntityId>,
    pub status: FactStatus,
}
