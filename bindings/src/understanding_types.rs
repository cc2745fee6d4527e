//! Remote declarations of the core's extraction, interview and search types (field lists must
//! match the core's exactly; the compiler checks).

use heirloom_core::extract::{EmotionKind, EventKind, Fact, PlaceKind};
use heirloom_core::graph::{
    Entity, ExtractionReport, FactStatus, FactView, LifeStage, OwnerProfile, RelatedMemory,
    SearchCapabilities, Span,
};
use heirloom_core::interview::{Prompt, PromptKind, Question, ReasonKind};

#[uniffi::remote(Enum)]
pub enum PlaceKind {
    Country,
    Region,
    City,
    Local,
}

#[uniffi::remote(Enum)]
pub enum EventKind {
    Birth,
    Wedding,
    Engagement,
    Divorce,
    Move,
    Emigration,
    WarService,
    Graduation,
    FirstJob,
    Retirement,
    Funeral,
    Death,
    Illness,
    Holiday,
    Birthday,
    ReligiousCeremony,
    Travel,
    SchoolStart,
}

#[uniffi::remote(Enum)]
pub enum EmotionKind {
    Joy,
    Grief,
    Pride,
    Fear,
    Love,
    Regret,
    Anger,
    Gratitude,
    Nostalgia,
    Loneliness,
}

#[uniffi::remote(Enum)]
pub enum Fact {
    Person {
        name: Option<String>,
        relation: Option<String>,
        deceased: bool,
    },
    Place {
        name: String,
        place: PlaceKind,
        country: Option<String>,
    },
    Period {
        label: String,
        from: Option<i32>,
        to: Option<i32>,
        stage: Option<LifeStage>,
        age: Option<u32>,
    },
    Event {
        event: EventKind,
    },
    Emotion {
        emotion: EmotionKind,
    },
}

#[uniffi::remote(Record)]
pub struct FactView {
    pub mention_id: i64,
    pub memory_id: i64,
    pub entity: Entity,
    pub detail: Option<Fact>,
    pub span: Span,
    pub quote: String,
    pub confidence: f64,
    pub status: FactStatus,
    pub proposal: bool,
    pub year_from: Option<i32>,
    pub year_to: Option<i32>,
    pub life_stage: Option<LifeStage>,
}

#[uniffi::remote(Record)]
pub struct ExtractionReport {
    pub memory_id: i64,
    pub mentions: u32,
    pub proposals: u32,
    pub merged: u32,
    pub merges_proposed: u32,
}

#[uniffi::remote(Record)]
pub struct OwnerProfile {
    pub preferred_name: Option<String>,
    pub birth_year: Option<i32>,
    pub languages: Vec<String>,
}

#[uniffi::remote(Enum)]
pub enum ReasonKind {
    Opening,
    MemoryDetail,
    DeepenThread,
    UndescribedPerson,
    PersonDetail,
    DecadeGap,
    LifeStageGap,
    UniversalTopic,
    Pause,
}

#[uniffi::remote(Record)]
pub struct Question {
    pub id: i64,
    pub key: String,
    pub text: String,
    pub reason: String,
    pub reason_kind: ReasonKind,
    pub entity_id: Option<i64>,
    pub memory_id: Option<i64>,
    pub gentle: bool,
}

#[uniffi::remote(Enum)]
pub enum PromptKind {
    Anniversary,
    OnThisDay,
    UnansweredQuestion,
    Weekly,
}

#[uniffi::remote(Record)]
pub struct Prompt {
    pub key: String,
    pub kind: PromptKind,
    pub text: String,
    pub memory_id: Option<i64>,
    pub question_id: Option<i64>,
}

#[uniffi::remote(Record)]
pub struct RelatedMemory {
    pub memory_id: i64,
    pub title: String,
    pub score: f64,
}

#[uniffi::remote(Record)]
pub struct SearchCapabilities {
    pub full_text: bool,
    pub semantic: bool,
}
