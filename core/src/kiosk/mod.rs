//! Kiosk mode for a shared care-home tablet (issue 7). Built so far: the audit log — an
//! append-only, keyed hash chain of who did what to which resident's vault and when. Residents'
//! vaults, staff accounts, locking and proxy consent follow.

mod audit;

pub use audit::{AuditAction, AuditEntry, AuditLog, AuditProblem};

/// What went wrong in kiosk mode. Never names a resident or quotes content.
#[derive(Debug, thiserror::Error)]
pub enum KioskError {
    /// The audit log does not verify: an entry was edited, removed, reordered or forged.
    #[error("the audit log does not verify: {0}")]
    AuditBroken(AuditProblem),
    /// A field broke a rule (an actor or object id with content-like text in it).
    #[error("invalid input: {reason}")]
    InvalidInput { reason: &'static str },
    #[error("storage failed: {0}")]
    Storage(#[from] rusqlite::Error),
}
