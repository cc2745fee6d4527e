//! The core's value types, declared to UniFFI as remote types: the field lists must match the
//! core's definitions exactly (the compiler checks), and no conversion code is needed.

use heirloom_core::graph::{
    AboutWhen, Coverage, DecadeCount, DeletedMemory, Entity, EntityAttributes, EntityKind,
    EntityView, FactStatus, KindCount, LifeStage, Media, MediaKind, Memory, MemoryDetail,
    MemorySource, Mention, MergeProposal, MergeState, NewEntity, NewMedia, NewMemory, NewMention,
    NewRelation, NewSegment, Recording, Relation, RelationDirection, RelationView, SearchHit,
    Segment, Span, TextRange, Timeline,
};

#[uniffi::remote(Enum)]
pub enum MemorySource {
    Voice,
    Text,
    Photo,
}

#[uniffi::remote(Enum)]
pub enum FactStatus {
    Inferred,
    Confirmed,
}

#[uniffi::remote(Enum)]
pub enum LifeStage {
    EarlyChildhood,
    Childhood,
    Adolescence,
    YoungAdulthood,
    Adulthood,
    MiddleAge,
    LaterLife,
}

#[uniffi::remote(Enum)]
pub enum AboutWhen {
    Day { year: i32, month: u8, day: u8 },
    Month { year: i32, month: u8 },
    Year { year: i32 },
    YearRange { from: i32, to: i32 },
    Decade { start: i32 },
    LifeStage { stage: LifeStage },
}

#[uniffi::remote(Record)]
pub struct Memory {
    pub id: i64,
    pub title: String,
    pub told_at_ms: i64,
    pub source: MemorySource,
    pub about_when: Option<AboutWhen>,
    pub about_status: FactStatus,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

#[uniffi::remote(Record)]
pub struct NewMemory {
    pub title: String,
    pub told_at_ms: i64,
    pub source: MemorySource,
    pub about_when: Option<AboutWhen>,
    pub about_status: FactStatus,
}

#[uniffi::remote(Record)]
pub struct Recording {
    pub id: i64,
    pub memory_id: i64,
    pub audio_path: String,
    pub duration_ms: i64,
    pub sample_rate: u32,
    pub transcript_model: Option<String>,
    pub transcript_language: Option<String>,
}

#[uniffi::remote(Record)]
pub struct Segment {
    pub id: i64,
    pub memory_id: i64,
    pub recording_id: Option<i64>,
    pub ordinal: i64,
    pub start_ms: i64,
    pub end_ms: i64,
    pub machine_text: String,
    pub confidence: f64,
    pub user_text: Option<String>,
}

#[uniffi::remote(Record)]
pub struct NewSegment {
    pub start_ms: i64,
    pub end_ms: i64,
    pub text: String,
    pub confidence: f64,
}

#[uniffi::remote(Enum)]
pub enum EntityKind {
    Person,
    Place,
    Period,
    Event,
    Emotion,
    Topic,
}

#[uniffi::remote(Record)]
pub struct EntityAttributes {
    pub relation_to_owner: Option<String>,
    pub birth_year: Option<i32>,
    pub deceased: bool,
    pub sensitive: bool,
}

#[uniffi::remote(Record)]
pub struct Entity {
    pub id: i64,
    pub kind: EntityKind,
    pub display_name: String,
    pub aliases: Vec<String>,
    pub attributes: EntityAttributes,
    pub status: FactStatus,
}

#[uniffi::remote(Record)]
pub struct NewEntity {
    pub kind: EntityKind,
    pub display_name: String,
    pub aliases: Vec<String>,
    pub attributes: EntityAttributes,
    pub status: FactStatus,
}

#[uniffi::remote(Record)]
pub struct Span {
    pub segment_id: i64,
    pub char_start: u32,
    pub char_end: u32,
}

#[uniffi::remote(Record)]
pub struct Mention {
    pub id: i64,
    pub entity_id: i64,
    pub memory_id: i64,
    pub span: Span,
    pub quote: String,
    pub confidence: f64,
    pub status: FactStatus,
}

#[uniffi::remote(Record)]
pub struct NewMention {
    pub entity_id: i64,
    pub span: Span,
    pub confidence: f64,
    pub status: FactStatus,
}

#[uniffi::remote(Record)]
pub struct Relation {
    pub id: i64,
    pub subject_id: i64,
    pub object_id: i64,
    pub kind: String,
    pub provenance: Option<Span>,
    pub confidence: f64,
    pub status: FactStatus,
}

#[uniffi::remote(Record)]
pub struct NewRelation {
    pub subject_id: i64,
    pub object_id: i64,
    pub kind: String,
    pub provenance: Option<Span>,
    pub confidence: f64,
    pub status: FactStatus,
}

#[uniffi::remote(Enum)]
pub enum MediaKind {
    Photo,
    Video,
}

#[uniffi::remote(Record)]
pub struct Media {
    pub id: i64,
    pub kind: MediaKind,
    pub path: String,
    pub content_hash: String,
    pub taken_at_ms: Option<i64>,
    pub place_entity_id: Option<i64>,
    pub status: FactStatus,
}

#[uniffi::remote(Record)]
pub struct NewMedia {
    pub kind: MediaKind,
    pub path: String,
    pub content_hash: String,
    pub taken_at_ms: Option<i64>,
    pub place_entity_id: Option<i64>,
    pub status: FactStatus,
}

#[uniffi::remote(Record)]
pub struct MemoryDetail {
    pub memory: Memory,
    pub segments: Vec<Segment>,
    pub recordings: Vec<Recording>,
    pub media: Vec<Media>,
    pub mentions: Vec<Mention>,
    pub entities: Vec<Entity>,
}

#[uniffi::remote(Record)]
pub struct DeletedMemory {
    pub removed_entities: u32,
    pub removed_files: Vec<String>,
    pub files_left: Vec<String>,
}

#[uniffi::remote(Enum)]
pub enum MergeState {
    Proposed,
    Accepted,
    Rejected,
    Undone,
}

#[uniffi::remote(Record)]
pub struct MergeProposal {
    pub id: i64,
    pub keep: Entity,
    pub merge: Entity,
    pub score: f64,
    pub state: MergeState,
}

#[uniffi::remote(Record)]
pub struct TextRange {
    pub start: u32,
    pub end: u32,
}

#[uniffi::remote(Record)]
pub struct SearchHit {
    pub segment_id: i64,
    pub memory_id: i64,
    pub memory_title: String,
    pub start_ms: i64,
    pub snippet: String,
    pub highlights: Vec<TextRange>,
    pub score: f64,
}

#[uniffi::remote(Enum)]
pub enum RelationDirection {
    Outgoing,
    Incoming,
}

#[uniffi::remote(Record)]
pub struct RelationView {
    pub relation: Relation,
    pub direction: RelationDirection,
    pub other: Entity,
}

#[uniffi::remote(Record)]
pub struct EntityView {
    pub entity: Entity,
    pub memories: Vec<Memory>,
    pub mentions: Vec<Mention>,
    pub relations: Vec<RelationView>,
}

#[uniffi::remote(Record)]
pub struct Timeline {
    pub dated: Vec<Memory>,
    pub undated: Vec<Memory>,
    pub dated_total: u32,
    pub undated_total: u32,
}

#[uniffi::remote(Record)]
pub struct KindCount {
    pub kind: EntityKind,
    pub count: u32,
}

#[uniffi::remote(Record)]
pub struct DecadeCount {
    pub decade: i32,
    pub count: u32,
}

#[uniffi::remote(Record)]
pub struct Coverage {
    pub memories: u32,
    pub dated_memories: u32,
    pub undated_memories: u32,
    pub segments: u32,
    pub mentions: u32,
    pub relations: u32,
    pub entities: Vec<KindCount>,
    pub memories_by_decade: Vec<DecadeCount>,
}
