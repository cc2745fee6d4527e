//! The one public error type, and every conversion into it. Variants are things an app can act
//! on; messages carry no user content (the core guarantees that for its own errors).

use heirloom_core::capture::CaptureError;
use heirloom_core::consent::ConsentError;
use heirloom_core::graph::GraphError;
use heirloom_core::interview::InterviewError;
use heirloom_core::keystore::KeyStoreError;
use heirloom_core::kiosk::KioskError;
use heirloom_core::media::MediaError;
use heirloom_core::outbox::OutboxError;
use heirloom_core::seal::SealError;
use heirloom_core::speech::SpeechError;
use heirloom_core::store::StoreError;

/// What went wrong, in terms an app can act on.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum ApiError {
    /// The key does not open this data directory.
    #[error("the key does not open this data directory")]
    WrongKey,
    /// The data directory exists but its key is missing from the key store.
    #[error("the key for this data directory is missing")]
    KeyMissing,
    /// The host key store failed (or returned a malformed key).
    #[error("key store failed: {reason}")]
    KeyStore { reason: String },
    /// The data directory was written by a newer app version.
    #[error("data written by a newer version; update the app")]
    UpgradeRequired,
    /// No such item (deleted, or never existed).
    #[error("{what} {id} not found")]
    NotFound { what: String, id: i64 },
    /// The input broke a rule; `reason` says which.
    #[error("invalid input: {reason}")]
    InvalidInput { reason: String },
    /// The change conflicts with the current state.
    #[error("conflict: {reason}")]
    Conflict { reason: String },
    /// Storage failed (disk full, I/O, database busy).
    #[error("storage failed: {reason}")]
    Storage { reason: String },
    /// A speech model is not installed or cannot be loaded.
    #[error("speech model unavailable: {reason}")]
    ModelUnavailable { reason: String },
    /// The job was cancelled through its cancel handle.
    #[error("cancelled")]
    Cancelled,
    /// The handle was closed.
    #[error("this Heirloom handle is closed")]
    Closed,
    /// Nothing may leave without a live consent for that memory and purpose.
    #[error("consent required: {reason}")]
    ConsentRequired { reason: String },
    /// The network or the service failed; `retryable` says whether trying later may help.
    #[error("network: {reason}")]
    Network { retryable: bool, reason: String },
    /// The enclave's key bundle or a receipt failed its checks (signature, pin, validity,
    /// rollback): nothing was sealed to it.
    #[error("enclave not trusted: {reason}")]
    EnclaveUntrusted { reason: String },
    /// A sealed file, key or code that does not check out (tampered, truncated, a typo).
    #[error("invalid or tampered: {reason}")]
    Corrupt { reason: String },
    /// Kiosk mode: the tablet is locked (or locked itself when idle); a staff member must log in.
    #[error("the kiosk is locked")]
    Locked,
    /// Kiosk mode: wrong PIN; this many more are allowed before delays start.
    #[error("wrong PIN")]
    WrongPin { attempts_before_delay: u32 },
    /// Kiosk mode: too many wrong PINs; try again after this many milliseconds.
    #[error("too many wrong PINs; try again later")]
    LockedOut { retry_after_ms: i64 },
    /// Kiosk mode: the staff member's role does not allow this.
    #[error("your role does not allow {permission}")]
    PermissionDenied { permission: String },
    /// Joining a training round would spend more privacy than the owner allowed.
    #[error("the privacy budget would be exceeded")]
    BudgetExceeded { epsilon_after: f64, budget: f64 },
    /// Training waits: the device is not charging and idle, or there are too few confirmed
    /// examples yet; `reason` says which.
    #[error("not now: {reason}")]
    NotNow { reason: String },
    /// A bug or an unexpected failure in a host callback.
    #[error("internal error: {reason}")]
    Internal { reason: String },
}

impl From<KeyStoreError> for ApiError {
    fn from(e: KeyStoreError) -> Self {
        Self::KeyStore { reason: e.to_string() }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::WrongKey => Self::WrongKey,
            StoreError::KeyMissing => Self::KeyMissing,
            StoreError::KeyStore(e) => e.into(),
            StoreError::TooNew { .. } => Self::UpgradeRequired,
            other @ (StoreError::Io { .. } | StoreError::Sqlite { .. }) => {
                Self::Storage { reason: other.to_string() }
            }
            other @ StoreError::Access { .. } => Self::Internal { reason: other.to_string() },
        }
    }
}

impl From<MediaError> for ApiError {
    fn from(e: MediaError) -> Self {
        let reason = e.to_string();
        match e {
            MediaError::Unsupported
            | MediaError::UnsupportedVideo
            | MediaError::TooLarge { .. }
            | MediaError::OverBudget { .. } => Self::InvalidInput { reason },
            MediaError::Corrupt | MediaError::Tampered | MediaError::NotAVaultFile { .. } => {
                Self::Corrupt { reason }
            }
            MediaError::Io { .. } => Self::Storage { reason },
            MediaError::Encode => Self::Internal { reason },
        }
    }
}

impl From<GraphError> for ApiError {
    fn from(e: GraphError) -> Self {
        match e {
            GraphError::NotFound { what, id } => Self::NotFound { what: what.to_owned(), id },
            GraphError::InvalidInput { reason } => Self::InvalidInput { reason },
            GraphError::Conflict { reason } => Self::Conflict { reason: reason.to_owned() },
            GraphError::Store(e) => e.into(),
            GraphError::Capture(e) => e.into(),
            GraphError::Speech(e) => e.into(),
            GraphError::Embedding { reason } => Self::Internal { reason },
            GraphError::Media(e) => e.into(),
        }
    }
}

impl From<InterviewError> for ApiError {
    fn from(e: InterviewError) -> Self {
        match e {
            InterviewError::QuestionNotFound { id } => {
                Self::NotFound { what: "question".into(), id }
            }
            InterviewError::InvalidInput { reason } => Self::InvalidInput { reason: reason.into() },
            InterviewError::Graph(e) => e.into(),
        }
    }
}

impl From<SpeechError> for ApiError {
    fn from(e: SpeechError) -> Self {
        let reason = e.to_string();
        match e {
            SpeechError::ModelMissing { .. } | SpeechError::ModelInvalid { .. } => {
                Self::ModelUnavailable { reason }
            }
            SpeechError::Cancelled => Self::Cancelled,
            SpeechError::Language { .. } | SpeechError::InvalidOptions { .. } => {
                Self::InvalidInput { reason }
            }
            SpeechError::Audio(e) => e.into(),
            SpeechError::Engine { .. } => Self::Internal { reason },
        }
    }
}

impl From<CaptureError> for ApiError {
    fn from(e: CaptureError) -> Self {
        let reason = e.to_string();
        match e {
            CaptureError::UnsupportedFormat { .. }
            | CaptureError::RaggedFrames { .. }
            | CaptureError::NotARecording { .. }
            | CaptureError::Import { .. }
            | CaptureError::TooLong { .. } => Self::InvalidInput { reason },
            CaptureError::Closed => Self::Conflict { reason },
            CaptureError::Tampered { .. }
            | CaptureError::Truncated { .. }
            | CaptureError::Io { .. } => Self::Storage { reason },
        }
    }
}

impl From<SealError> for ApiError {
    fn from(e: SealError) -> Self {
        let reason = e.to_string();
        match e {
            SealError::KeyStore(k) => k.into(),
            SealError::BadSignature
            | SealError::UntrustedSigner
            | SealError::BundleExpired
            | SealError::BundleNotYetValid
            | SealError::BundleRollback { .. } => Self::EnclaveUntrusted { reason },
            SealError::IdentityExists => Self::Conflict { reason },
            SealError::InvalidRecipient
            | SealError::InvalidIdentity
            | SealError::NoRecipients
            | SealError::Unsupported { .. }
            | SealError::Malformed { .. } => Self::InvalidInput { reason },
            SealError::InvalidRecoveryCode
            | SealError::Header { .. }
            | SealError::HeaderMac
            | SealError::Payload { .. }
            | SealError::NoMatch => Self::Corrupt { reason },
            SealError::Io(_) => Self::Storage { reason },
            SealError::Randomness | SealError::Crypto { .. } => Self::Internal { reason },
        }
    }
}

impl From<ConsentError> for ApiError {
    fn from(e: ConsentError) -> Self {
        let reason = e.to_string();
        match e {
            ConsentError::SubjectNotFound { kind, id } => Self::NotFound { what: kind.into(), id },
            ConsentError::NotGranted { .. } => Self::ConsentRequired { reason },
            ConsentError::InvalidRequest { .. } => Self::InvalidInput { reason },
            ConsentError::InvalidReceipt { .. } | ConsentError::BadSignature => {
                Self::Corrupt { reason }
            }
            ConsentError::Seal(e) => e.into(),
            ConsentError::Graph(e) => e.into(),
        }
    }
}

impl From<OutboxError> for ApiError {
    fn from(e: OutboxError) -> Self {
        let reason = e.to_string();
        match e {
            OutboxError::ConsentRequired { .. } => Self::ConsentRequired { reason },
            OutboxError::Network { retryable, .. } => Self::Network { retryable, reason },
            OutboxError::Enclave(_) | OutboxError::ReceiptMismatch { .. } => {
                Self::EnclaveUntrusted { reason }
            }
            OutboxError::NotFound { id } => Self::NotFound { what: "outbox item".into(), id },
            OutboxError::Io { .. } => Self::Storage { reason },
            OutboxError::Cancelled => Self::Cancelled,
            OutboxError::Refused { .. } => Self::InvalidInput { reason },
            OutboxError::Internal { .. } => Self::Internal { reason },
            OutboxError::Seal(e) => e.into(),
            OutboxError::Consent(e) => e.into(),
            OutboxError::Graph(e) => e.into(),
        }
    }
}

impl From<heirloom_core::learn::LearnError> for ApiError {
    fn from(e: heirloom_core::learn::LearnError) -> Self {
        use heirloom_core::learn::LearnError as L;
        let reason = e.to_string();
        match e {
            L::ConsentRequired => Self::ConsentRequired { reason },
            L::BudgetExceeded { would_be, budget } => {
                Self::BudgetExceeded { epsilon_after: would_be, budget }
            }
            L::NotNow | L::NotEnoughExamples { .. } | L::AlreadyJoined { .. } => {
                Self::NotNow { reason }
            }
            L::Untrusted { .. } => Self::EnclaveUntrusted { reason },
            L::InvalidInput { .. } => Self::InvalidInput { reason },
            L::Cancelled => Self::Cancelled,
            L::Storage => Self::Storage { reason },
            L::Outbox(o) => o.into(),
            L::Randomness | L::Model { .. } => Self::Internal { reason },
        }
    }
}

impl From<KioskError> for ApiError {
    fn from(e: KioskError) -> Self {
        let reason = e.to_string();
        match e {
            KioskError::Locked | KioskError::NoResident => Self::Locked,
            KioskError::WrongPin { attempts_before_delay } => {
                Self::WrongPin { attempts_before_delay }
            }
            KioskError::LockedOut { retry_after_ms } => Self::LockedOut { retry_after_ms },
            KioskError::PermissionDenied { permission } => {
                Self::PermissionDenied { permission: permission.as_str().into() }
            }
            KioskError::NotFound { what } => Self::NotFound { what: what.into(), id: 0 },
            KioskError::InvalidInput { .. } => Self::InvalidInput { reason },
            KioskError::AlreadySetUp => Self::Conflict { reason },
            KioskError::DeviceKeyMissing => Self::KeyMissing,
            KioskError::AuditBroken(_) | KioskError::VaultKey => Self::Corrupt { reason },
            KioskError::Io { .. } => Self::Storage { reason },
            KioskError::KeyStore(e) => e.into(),
            KioskError::Graph(e) => e.into(),
            KioskError::Consent(e) => e.into(),
            KioskError::Outbox(e) => e.into(),
            KioskError::Interview(e) => e.into(),
            KioskError::Family(e) => e.into(),
            KioskError::Storage(e) => e.into(),
            KioskError::Randomness | KioskError::Crypto | KioskError::Internal { .. } => {
                Self::Internal { reason }
            }
        }
    }
}

impl From<uniffi::UnexpectedUniFFICallbackError> for ApiError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Internal { reason: format!("host callback failed: {}", e.reason) }
    }
}
