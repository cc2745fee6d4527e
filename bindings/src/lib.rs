//! UniFFI bindings for Heirloom: thin wrappers over `heirloom-core`, no logic of their own.
//!
//! The root [`Heirloom`] object is opened with a data directory and the app's [`KeyStore`], and
//! hands out small sub-objects (memories, people, merges, search, life). Every failure reaches
//! the app as one [`ApiError`].

uniffi::setup_scaffolding!("heirloom");

/// Every block Rust frees is zeroed first: on a shared kiosk tablet, what one resident's
/// session freed must not linger for the next (docs/SECURITY.md, "Kiosk mode").
#[global_allocator]
static ALLOCATOR: heirloom_core::kiosk::WipeOnFree = heirloom_core::kiosk::WIPE_ON_FREE;

mod consent;
mod error;
mod facts;
mod family;
mod heirloom;
mod identity;
mod interview;
mod key_store;
mod kiosk;
mod kiosk_resident;
mod kiosk_types;
mod learning;
mod life;
mod memories;
mod merges;
mod outbox;
mod people;
mod photos;
mod recorder;
mod search;
mod session;
mod sharing_types;
mod speech;
mod types;
mod understanding_types;
mod videos;

pub use consent::Consent;
pub use error::ApiError;
pub use facts::Facts;
pub use family::{Family, FamilyMember, MemberRole, ReceivedShare, ShareEntry, ShareSource};
pub use heirloom::{Heirloom, Understanding};
pub use identity::Identity;
pub use interview::{Interview, Topic};
pub use key_store::{file_key_store, KeyStore};
pub use kiosk::Kiosk;
pub use kiosk_resident::KioskResident;
pub use kiosk_types::{
    role_permissions, AuditRecord, ConsentBy, ConsentLine, FamilyExport, GivenByView,
    KioskListener, KioskStatus, PromptSet, QueuedShare, Resident, ResidentProfile, StaffMember,
    StoryCard,
};
pub use learning::{ContributionEntry, DeviceConditions, Learning, RoundOutcome, TrainingStatus};
pub use life::Life;
pub use memories::{Memories, MemoryChanges};
pub use merges::Merges;
pub use outbox::{Outbox, OutboxProgress};
pub use people::{CreatedEntity, People};
pub use photos::{PhotoDetails, PhotoImport, PhotoSize, Photos};
pub use recorder::{Recorder, RecordingSession, VoiceMemory};
pub use search::Search;
pub use sharing_types::{
    ConsentPolicy, ConsentRecord, EnclaveConfig, OutboxEntry, OutboxRun, OwnerPublicKeys,
    UploadProof,
};
pub use speech::{
    BackgroundReport, CancelHandle, HeardSegment, SpeechModelKind, TranscribeConfig, Transcriber,
    TranscriptionListener, TranscriptionResult,
};
pub use videos::{
    AudioCoding, CropRect, EncodedPicture, PlatformAudioEncoder, PlatformVideoEncoder,
    RenderListener, RenderRequest, RenderedVideo, StoryCaption, StoryScene, StoryboardChanges,
    StoryboardView, Videos,
};
