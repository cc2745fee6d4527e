//! Kiosk mode for a shared care-home tablet: several residents, each with a vault of their own
//! (their own encrypted database and media, under their own key); staff who log in with a PIN
//! and act within their role; an idle lock; proxy consent; and an audit log of who did what to
//! which resident's vault. See docs/SECURITY.md, "Kiosk mode", for the key design.

mod audit;
mod care;
mod device;
mod pin;
mod residents;
mod roles;
mod story;
mod vault;
mod watch;
mod wipe;
mod wrap;

pub use audit::{AuditAction, AuditEntry, AuditLog, AuditProblem};
pub use care::{ConsentBy, ConsentLine, ConsentState, FamilyExport};
pub use device::{
    lockout_ms, Clock, Kiosk, KioskConfig, KioskStatus, LockReason, StaffMember,
    DEFAULT_IDLE_LOCK_MS, DEVICE_KEY_NAME, FIRST_LOCKOUT_MS, FREE_ATTEMPTS, KIOSK_DB_FILE,
    MAX_LOCKOUT_MS, NO_RESIDENT,
};
pub use pin::{check_pin_rules, PinCost, MAX_PIN_DIGITS, MIN_PIN_DIGITS};
pub use residents::{Pacing, Resident, ResidentProfile};
pub use roles::{Permission, Role};
pub use story::{StoryCard, STORY_CARD_FORMAT};
pub use vault::{ResidentVault, VaultKeys};
pub use watch::IdleWatch;
pub use wipe::{WipeOnFree, WIPE_ON_FREE};

use crate::graph::GraphError;
use crate::keystore::KeyStoreError;
use crate::store::StoreError;

/// What went wrong in kiosk mode. Never names a resident or quotes content.
#[derive(Debug, thiserror::Error)]
pub enum KioskError {
    /// The audit log does not verify: an entry was edited, removed, reordered or forged.
    #[error("the audit log does not verify: {0}")]
    AuditBroken(AuditProblem),
    /// A field broke a rule; `reason` says which.
    #[error("invalid input: {reason}")]
    InvalidInput { reason: &'static str },
    /// The kiosk is locked (or locked itself when idle): a staff member must log in.
    #[error("the kiosk is locked")]
    Locked,
    /// The PIN is wrong; this many more wrong ones are allowed before delays start.
    #[error("wrong PIN")]
    WrongPin { attempts_before_delay: u32 },
    /// Too many wrong PINs: this account may try again after the delay.
    #[error("too many wrong PINs; try again in {retry_after_ms} ms")]
    LockedOut { retry_after_ms: i64 },
    /// The logged-in staff member's role does not allow this.
    #[error("your role does not allow {}", permission.as_str())]
    PermissionDenied { permission: Permission },
    /// No resident's vault is open.
    #[error("no resident is selected")]
    NoResident,
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// The kiosk already has staff; first-run set-up cannot run again.
    #[error("the kiosk is already set up")]
    AlreadySetUp,
    /// The kiosk's database exists but the device key is gone from the platform key store.
    #[error("the kiosk's device key is missing from the key store")]
    DeviceKeyMissing,
    /// A wrapped key or sealed profile does not open: altered, moved, or under another key.
    #[error("a wrapped key does not open (altered or not this vault's)")]
    VaultKey,
    #[error("no system randomness")]
    Randomness,
    #[error("encryption failed")]
    Crypto,
    #[error("could not {what}")]
    Io { what: &'static str },
    #[error("internal error: {what}")]
    Internal { what: &'static str },
    #[error(transparent)]
    KeyStore(#[from] KeyStoreError),
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Consent(#[from] crate::consent::ConsentError),
    #[error(transparent)]
    Outbox(#[from] crate::outbox::OutboxError),
    #[error(transparent)]
    Interview(#[from] crate::interview::InterviewError),
    #[error(transparent)]
    Family(#[from] crate::family::FamilyError),
    #[error("storage failed: {0}")]
    Storage(#[from] StoreError),
}

impl From<rusqlite::Error> for KioskError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Storage(e.into())
    }
}

#[cfg(test)]
mod tests;
