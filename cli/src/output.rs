//! Printing results: text for people, or one JSON document for scripts.
//!
//! JSON success: `{"ok": true, "command": NAME, "data": ...}`.
//! JSON failure: `{"ok": false, "command": NAME, "error": {"kind": KIND, "message": TEXT}}`.

use heirloom_core::graph::GraphError;
use heirloom_core::media::MediaError;
use heirloom_core::outbox::OutboxError;
use heirloom_core::seal::SealError;
use heirloom_core::speech::SpeechError;
use heirloom_core::store::StoreError;
use serde::Serialize;

/// A CLI failure.
#[derive(Debug)]
pub enum CliError {
    Graph(GraphError),
    /// Bad arguments the parser could not catch (an unparsable date, an ambiguous name).
    Usage(String),
    /// Reading input failed.
    Input(String),
    /// Sealing or opening an age file failed.
    Seal(SealError),
    /// Consent or the outbox refused or failed.
    Outbox(OutboxError),
    /// Rendering a video failed or was cancelled (no content in the message).
    Render(String),
    /// Kiosk mode refused or failed.
    Kiosk(heirloom_core::kiosk::KioskError),
    /// Federated learning refused or failed.
    Learn(heirloom_core::learn::LearnError),
}

impl From<heirloom_core::learn::LearnError> for CliError {
    fn from(e: heirloom_core::learn::LearnError) -> Self {
        match e {
            heirloom_core::learn::LearnError::Outbox(o) => Self::Outbox(o),
            other => Self::Learn(other),
        }
    }
}

impl From<heirloom_core::kiosk::KioskError> for CliError {
    fn from(e: heirloom_core::kiosk::KioskError) -> Self {
        use heirloom_core::kiosk::KioskError as K;
        match e {
            K::Graph(g) => Self::Graph(g),
            K::Outbox(o) => Self::Outbox(o),
            K::Family(f) => f.into(),
            other => Self::Kiosk(other),
        }
    }
}

impl From<GraphError> for CliError {
    fn from(e: GraphError) -> Self {
        Self::Graph(e)
    }
}

impl From<heirloom_core::family::FamilyError> for CliError {
    fn from(e: heirloom_core::family::FamilyError) -> Self {
        use heirloom_core::family::FamilyError as F;
        match e {
            F::Graph(g) => Self::Graph(g),
            F::NotFound { id } => Self::Graph(GraphError::NotFound { what: "family member", id }),
            other => Self::Graph(GraphError::InvalidInput { reason: other.to_string() }),
        }
    }
}

impl From<heirloom_core::video::VideoError> for CliError {
    fn from(e: heirloom_core::video::VideoError) -> Self {
        match e {
            heirloom_core::video::VideoError::Graph(g) => Self::Graph(g),
            heirloom_core::video::VideoError::InvalidStoryboard { reason } => {
                Self::Graph(GraphError::InvalidInput { reason: reason.to_owned() })
            }
            e @ heirloom_core::video::VideoError::Font { .. } => {
                Self::Input(format!("{e} (models/fetch.sh fonts installs them)"))
            }
            other => Self::Render(other.to_string()),
        }
    }
}

impl CliError {
    /// Stable kind for JSON, and the exit code.
    fn kind(&self) -> (&'static str, i32) {
        match self {
            CliError::Usage(_) => ("usage", 2),
            CliError::Input(_) => ("input", 1),
            CliError::Render(_) => ("render", 1),
            CliError::Learn(l) => {
                use heirloom_core::learn::LearnError as L;
                match l {
                    L::ConsentRequired => ("consent_required", 6),
                    L::BudgetExceeded { .. } => ("budget_exceeded", 10),
                    L::NotNow | L::NotEnoughExamples { .. } | L::AlreadyJoined { .. } => {
                        ("not_now", 10)
                    }
                    L::Untrusted { .. } => ("enclave_untrusted", 7),
                    L::InvalidInput { .. } => ("invalid_input", 1),
                    L::Cancelled => ("cancelled", 130),
                    L::Storage => ("storage", 4),
                    _ => ("internal", 1),
                }
            }
            CliError::Kiosk(k) => {
                use heirloom_core::kiosk::KioskError as K;
                match k {
                    K::Locked | K::NoResident => ("locked", 8),
                    K::WrongPin { .. } => ("wrong_pin", 3),
                    K::LockedOut { .. } => ("locked_out", 8),
                    K::PermissionDenied { .. } => ("permission_denied", 9),
                    K::NotFound { .. } => ("not_found", 1),
                    K::InvalidInput { .. } | K::AlreadySetUp => ("invalid_input", 1),
                    K::DeviceKeyMissing | K::KeyStore(_) => ("key_missing", 3),
                    K::AuditBroken(_) | K::VaultKey => ("corrupt", 4),
                    K::Consent(heirloom_core::consent::ConsentError::InvalidRequest { .. }) => {
                        ("invalid_input", 1)
                    }
                    K::Consent(heirloom_core::consent::ConsentError::BadSignature) => {
                        ("corrupt", 4)
                    }
                    K::Storage(_) | K::Io { .. } => ("storage", 4),
                    _ => ("internal", 1),
                }
            }
            CliError::Seal(e) => match e {
                SealError::InvalidRecipient
                | SealError::InvalidIdentity
                | SealError::NoRecipients => ("invalid_input", 1),
                SealError::Unsupported { .. } => ("unsupported", 1),
                SealError::NoMatch => ("wrong_key", 3),
                SealError::Header { .. } | SealError::HeaderMac | SealError::Payload { .. } => {
                    ("corrupt", 4)
                }
                SealError::Io(_) => ("storage", 4),
                SealError::InvalidRecoveryCode => ("invalid_input", 1),
                SealError::IdentityExists => ("conflict", 1),
                SealError::KeyStore(_) => ("key_store", 3),
                _ => ("internal", 1),
            },
            CliError::Outbox(e) => match e {
                OutboxError::ConsentRequired { .. } => ("consent_required", 6),
                OutboxError::Network { .. } => ("network", 7),
                OutboxError::Enclave(_) | OutboxError::ReceiptMismatch { .. } => {
                    ("enclave_untrusted", 7)
                }
                OutboxError::NotFound { .. } => ("not_found", 1),
                OutboxError::Consent(c) => match c {
                    heirloom_core::consent::ConsentError::SubjectNotFound { .. } => {
                        ("not_found", 1)
                    }
                    heirloom_core::consent::ConsentError::NotGranted { .. } => {
                        ("consent_required", 6)
                    }
                    heirloom_core::consent::ConsentError::InvalidRequest { .. } => {
                        ("invalid_input", 1)
                    }
                    _ => ("internal", 1),
                },
                OutboxError::Io { .. } => ("storage", 4),
                OutboxError::Cancelled => ("cancelled", 130),
                OutboxError::Refused { .. } => ("invalid_input", 1),
                _ => ("internal", 1),
            },
            CliError::Graph(g) => match g {
                GraphError::NotFound { .. } => ("not_found", 1),
                GraphError::InvalidInput { .. } => ("invalid_input", 1),
                GraphError::Conflict { .. } => ("conflict", 1),
                GraphError::Capture(c) => match c {
                    heirloom_core::capture::CaptureError::Io { .. } => ("storage", 4),
                    heirloom_core::capture::CaptureError::Tampered { .. }
                    | heirloom_core::capture::CaptureError::Truncated { .. } => ("corrupt", 4),
                    _ => ("invalid_input", 1),
                },
                GraphError::Speech(s) => match s {
                    SpeechError::ModelMissing { .. } | SpeechError::ModelInvalid { .. } => {
                        ("model_unavailable", 5)
                    }
                    SpeechError::Cancelled => ("cancelled", 130),
                    SpeechError::Language { .. } | SpeechError::InvalidOptions { .. } => {
                        ("invalid_input", 1)
                    }
                    SpeechError::Audio(_) => ("corrupt", 4),
                    SpeechError::Engine { .. } => ("internal", 1),
                },
                GraphError::Embedding { .. } => ("internal", 1),
                GraphError::Media(m) => match m {
                    MediaError::Unsupported
                    | MediaError::UnsupportedVideo
                    | MediaError::TooLarge { .. }
                    | MediaError::OverBudget { .. } => ("invalid_input", 1),
                    MediaError::Corrupt
                    | MediaError::Tampered
                    | MediaError::NotAVaultFile { .. } => ("corrupt", 4),
                    MediaError::Io { .. } => ("storage", 4),
                    MediaError::Encode => ("internal", 1),
                },
                GraphError::Store(s) => match s {
                    StoreError::WrongKey => ("wrong_key", 3),
                    StoreError::KeyMissing => ("key_missing", 3),
                    StoreError::KeyStore(_) => ("key_store", 3),
                    StoreError::TooNew { .. } => ("upgrade_required", 3),
                    _ => ("storage", 4),
                },
            },
        }
    }

    fn message(&self) -> String {
        match self {
            CliError::Graph(g) => g.to_string(),
            CliError::Seal(e) => e.to_string(),
            CliError::Outbox(e) => e.to_string(),
            CliError::Kiosk(e) => e.to_string(),
            CliError::Learn(e) => e.to_string(),
            CliError::Usage(m) | CliError::Input(m) | CliError::Render(m) => m.clone(),
        }
    }
}

/// Where results go.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    json: bool,
}

impl Output {
    pub fn new(json: bool) -> Self {
        Self { json }
    }

    /// Whether output is one JSON document.
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// Prints `data` as JSON, or `human(data)` as text.
    pub fn emit<T: Serialize>(&self, command: &str, data: &T, human: impl FnOnce(&T) -> String) {
        if self.json {
            let doc = serde_json::json!({ "ok": true, "command": command, "data": data });
            println!("{doc}");
        } else {
            let text = human(data);
            if !text.is_empty() {
                println!("{}", text.trim_end());
            }
        }
    }

    /// Reports an error; returns the exit code.
    pub fn error(&self, command: &str, e: &CliError) -> i32 {
        let (kind, code) = e.kind();
        if self.json {
            let doc = serde_json::json!({
                "ok": false, "command": command,
                "error": { "kind": kind, "message": e.message() },
            });
            println!("{doc}");
        } else {
            eprintln!("heirloom: {}", e.message());
        }
        code
    }
}
