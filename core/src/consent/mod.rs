//! Consent: the owner decides, per memory and media item and per purpose, what may leave the
//! device. Keeping things on the device is the default and needs no record; every other purpose
//! needs a live grant — a receipt signed by the owner, or by a proxy (a guardian or family
//! member, with their relation and a note on the owner's capacity). Revocations are signed
//! receipts too, and the history is append-only (the database refuses updates and deletes).
//!
//! Receipts follow the Kantara Consent Receipt 1.1 fields where they apply and ISO/IEC TS 27560's
//! notions (purpose, consent type, termination, who gave it); see `receipt.rs`.

mod proxy;
mod receipt;
mod store;

pub use proxy::{proxies, proxy_signer, Proxy};
pub use receipt::{
    parse as parse_receipt, ConsentReceipt, ReceiptKind, KANTARA_VERSION, RECEIPT_FORMAT,
};

use crate::graph::{GraphError, MemoryGraph};
use crate::seal::{SealError, SigningIdentity, VerifyingKey};
use serde::{Deserialize, Serialize};

/// Errors from consent.
#[derive(Debug, thiserror::Error)]
pub enum ConsentError {
    /// The memory or media item does not exist.
    #[error("{kind} {id} not found")]
    SubjectNotFound { kind: &'static str, id: i64 },
    /// Nothing to revoke: no live grant for that item and purpose.
    #[error("no live consent for {purpose:?} on that item")]
    NotGranted { purpose: Purpose },
    /// A request that cannot be honoured as asked; `reason` says why.
    #[error("invalid consent request: {reason}")]
    InvalidRequest { reason: &'static str },
    /// A receipt that is not a well-formed Heirloom consent receipt.
    #[error("invalid consent receipt: {what}")]
    InvalidReceipt { what: &'static str },
    /// A receipt whose signature does not verify, or that its signer may not give.
    #[error("consent receipt signature does not verify")]
    BadSignature,
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error(transparent)]
    Graph(#[from] GraphError),
}

impl From<crate::store::StoreError> for ConsentError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Graph(e.into())
    }
}

impl From<rusqlite::Error> for ConsentError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Graph(e.into())
    }
}

/// Why data would leave the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Kept on this device only: the default; never granted, never uploaded.
    DeviceOnly,
    /// An encrypted backup only the owner can restore.
    EncryptedBackup,
    /// Shared, end-to-end encrypted, with family members the owner chose.
    ShareWithFamily,
    /// Used, sealed to the enclave, to improve Heirloom's models.
    AiTraining,
    /// Used, sealed to the enclave, in research the owner agreed to.
    Research,
}

impl Purpose {
    /// Every purpose that can be granted.
    pub const GRANTABLE: [Purpose; 4] = [
        Purpose::EncryptedBackup,
        Purpose::ShareWithFamily,
        Purpose::AiTraining,
        Purpose::Research,
    ];

    /// Stable text, as stored and in receipts.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::DeviceOnly => "device_only",
            Purpose::EncryptedBackup => "encrypted_backup",
            Purpose::ShareWithFamily => "share_with_family",
            Purpose::AiTraining => "ai_training",
            Purpose::Research => "research",
        }
    }

    /// Parses [`Purpose::as_str`]'s text.
    pub fn parse(text: &str) -> Option<Purpose> {
        [Purpose::DeviceOnly].into_iter().chain(Purpose::GRANTABLE).find(|p| p.as_str() == text)
    }

    fn service(self) -> &'static str {
        match self {
            Purpose::DeviceOnly => "on-device memory keeping",
            Purpose::EncryptedBackup => "encrypted backup",
            Purpose::ShareWithFamily => "family sharing",
            Purpose::AiTraining => "model improvement in an attested enclave",
            Purpose::Research => "research in an attested enclave",
        }
    }

    /// Kantara purpose category.
    fn category(self) -> &'static str {
        match self {
            Purpose::DeviceOnly | Purpose::EncryptedBackup => "Core Function",
            Purpose::ShareWithFamily => "Contracted Service",
            Purpose::AiTraining => "Improve Performance",
            Purpose::Research => "Research",
        }
    }

    /// Whether the data reaches anyone other than the owner.
    fn discloses(self) -> bool {
        matches!(self, Purpose::ShareWithFamily | Purpose::AiTraining | Purpose::Research)
    }
}

/// What a consent is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Subject {
    Memory(i64),
    Media(i64),
    /// Model updates trained on this device from the owner's memories (clipped and noised):
    /// the federated learning consent, with purpose "AI training" only.
    Training,
}

impl Subject {
    fn kind(self) -> &'static str {
        match self {
            Subject::Memory(_) => "memory",
            Subject::Media(_) => "media",
            Subject::Training => "training",
        }
    }

    fn id(self) -> i64 {
        match self {
            Subject::Memory(id) | Subject::Media(id) => id,
            Subject::Training => 0,
        }
    }

    fn pii_category(self) -> &'static str {
        match self {
            Subject::Memory(_) => "recorded memory (audio, transcript, extracted facts)",
            Subject::Media(_) => "photo or video",
            Subject::Training => {
                "model updates trained on the device from recorded memories (clipped and noised)"
            }
        }
    }

    fn from_parts(kind: &str, id: i64) -> Option<Subject> {
        match kind {
            "memory" => Some(Subject::Memory(id)),
            "media" => Some(Subject::Media(id)),
            "training" => Some(Subject::Training),
            _ => None,
        }
    }
}

/// Who gave (or revoked) a consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum GivenBy {
    /// The owner, signing with their own key.
    Owner,
    /// Someone acting for the owner, signing with their own key.
    Proxy {
        /// "daughter", "legal guardian", …
        relation: String,
        /// Why the owner is not giving it themselves ("advanced dementia; lasting power of
        /// attorney registered 2024").
        capacity_note: String,
    },
}

/// The controller's published terms, from the app's configuration, recorded in every receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// ISO 3166 code of the jurisdiction the consent is given under ("GB", "US-CA").
    pub jurisdiction: String,
    pub controller: String,
    pub contact: String,
    pub policy_url: String,
    pub policy_version: String,
    /// BCP 47 language of the notice the owner saw.
    pub language: String,
}

/// A request to grant consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRequest {
    pub subject: Subject,
    pub purpose: Purpose,
    /// Optional end (Unix ms); `None`: until revoked.
    pub expires_at_ms: Option<i64>,
}

/// Who is giving or revoking, with the key they sign with, for which owner.
#[derive(Debug, Clone)]
pub struct Giver<'a> {
    pub signer: &'a SigningIdentity,
    /// The owner the data is about.
    pub principal: VerifyingKey,
    pub given_by: GivenBy,
}

fn new_receipt_id() -> Result<String, ConsentError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| SealError::Randomness)?;
    // UUID version 4 layout, so other consent tools accept the id.
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..]))
}

fn check_signer(giver: &Giver<'_>) -> Result<(), ConsentError> {
    let (signer, principal) = (giver.signer.verifying_key(), giver.principal);
    match &giver.given_by {
        GivenBy::Owner if signer != principal => Err(ConsentError::InvalidRequest {
            reason: "the owner's consent must be signed with the owner's key",
        }),
        GivenBy::Proxy { .. } if signer == principal => {
            Err(ConsentError::InvalidRequest { reason: "a proxy signs with their own key" })
        }
        GivenBy::Proxy { relation, capacity_note }
            if relation.trim().is_empty() || capacity_note.trim().is_empty() =>
        {
            Err(ConsentError::InvalidRequest {
                reason: "a proxy consent needs the proxy's relation and a capacity note",
            })
        }
        _ => Ok(()),
    }
}

/// Grants consent for `request`, signed by `giver`. If a live grant for the same item and
/// purpose exists it is returned instead of a duplicate.
pub fn give(
    graph: &MemoryGraph,
    giver: &Giver<'_>,
    request: &ConsentRequest,
    policy: &Policy,
    now_ms: i64,
) -> Result<ConsentReceipt, ConsentError> {
    if request.purpose == Purpose::DeviceOnly {
        return Err(ConsentError::InvalidRequest {
            reason: "keeping data on the device is the default and needs no consent",
        });
    }
    if matches!(request.expires_at_ms, Some(t) if t <= now_ms) {
        return Err(ConsentError::InvalidRequest { reason: "the consent would already be over" });
    }
    check_signer(giver)?;
    if request.subject == Subject::Training && request.purpose != Purpose::AiTraining {
        return Err(ConsentError::InvalidRequest {
            reason: "model updates are only ever sent for AI training",
        });
    }
    store::require_subject(graph, request.subject)?;
    if let Some(live) = live_grant(graph, request.subject, request.purpose, now_ms)? {
        return Ok(live);
    }
    let receipt = receipt::sign(
        receipt::Draft {
            receipt_id: new_receipt_id()?,
            kind: ReceiptKind::Grant,
            subject: request.subject,
            purpose: request.purpose,
            given_at_ms: now_ms,
            expires_at_ms: request.expires_at_ms,
            given_by: &giver.given_by,
            revokes: None,
            principal: giver.principal,
            policy,
        },
        giver.signer,
    )?;
    store::append(graph, &receipt)?;
    Ok(receipt)
}

/// Revokes the live grant for `subject` and `purpose`; returns the signed revocation.
pub fn revoke(
    graph: &MemoryGraph,
    giver: &Giver<'_>,
    subject: Subject,
    purpose: Purpose,
    policy: &Policy,
    now_ms: i64,
) -> Result<ConsentReceipt, ConsentError> {
    check_signer(giver)?;
    // A grant that ran out can still be withdrawn: what was sent under it must be erased.
    let grant = store::newest_grant(graph, subject, purpose, None)?
        .ok_or(ConsentError::NotGranted { purpose })?;
    let receipt = receipt::sign(
        receipt::Draft {
            receipt_id: new_receipt_id()?,
            kind: ReceiptKind::Revocation,
            subject,
            purpose,
            given_at_ms: now_ms,
            expires_at_ms: None,
            given_by: &giver.given_by,
            revokes: Some(&grant.receipt_id),
            principal: giver.principal,
            policy,
        },
        giver.signer,
    )?;
    // The revocation and what it stops in the outbox commit together.
    let files = graph.database().write(|tx| {
        store::append_in(tx, &receipt)?;
        Ok::<_, ConsentError>(crate::outbox::on_revoked_in(tx, &receipt, now_ms)?)
    })?;
    crate::outbox::remove_sealed_files(graph, &files);
    Ok(receipt)
}

/// The grant in force for `subject` and `purpose` at `now_ms`, if any.
pub fn live_grant(
    graph: &MemoryGraph,
    subject: Subject,
    purpose: Purpose,
    now_ms: i64,
) -> Result<Option<ConsentReceipt>, ConsentError> {
    store::newest_grant(graph, subject, purpose, Some(now_ms))
}

/// Every receipt, oldest first; only those about `subject` when given.
pub fn history(
    graph: &MemoryGraph,
    subject: Option<Subject>,
) -> Result<Vec<ConsentReceipt>, ConsentError> {
    store::history(graph, subject)
}

/// One receipt by id.
pub fn receipt(
    graph: &MemoryGraph,
    receipt_id: &str,
) -> Result<Option<ConsentReceipt>, ConsentError> {
    store::by_id(graph, receipt_id)
}

/// Verifies a receipt from elsewhere (the enclave does this): the signature, and that the
/// signer is the owner `principal` for owner consent.
pub fn verify_receipt(document: &serde_json::Value) -> Result<ConsentReceipt, ConsentError> {
    let receipt = receipt::parse(document)?;
    if receipt.given_by == GivenBy::Owner && receipt.signer != receipt.principal {
        return Err(ConsentError::BadSignature);
    }
    Ok(receipt)
}

/// The terms the core's tests record in receipts.
#[cfg(test)]
pub(crate) fn test_policy() -> Policy {
    Policy {
        jurisdiction: "GB".into(),
        controller: "Heirloom reference deployment".into(),
        contact: "privacy@heirloom.example".into(),
        policy_url: "https://heirloom.example/privacy".into(),
        policy_version: "2026-11".into(),
        language: "en".into(),
    }
}

#[cfg(test)]
mod tests;
