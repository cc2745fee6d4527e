//! Records and enums for identity, consent and the outbox as the apps see them.

use heirloom_core::consent::{ConsentReceipt, GivenBy, Policy, Purpose, ReceiptKind, Subject};
use heirloom_core::outbox::{
    ErasureState, ErasureStatus, HeldReceipt, ItemState, OutboxItem, RunReport,
};

#[uniffi::remote(Enum)]
pub enum Purpose {
    DeviceOnly,
    EncryptedBackup,
    ShareWithFamily,
    AiTraining,
    Research,
}

#[uniffi::remote(Enum)]
pub enum ItemState {
    Queued,
    Sealed,
    Uploaded,
    Cancelled,
    Failed,
    Erased,
}

/// The owner's public keys: the age recipient others seal to, the Ed25519 key that checks
/// their consent signatures.
#[derive(Debug, Clone, uniffi::Record)]
pub struct OwnerPublicKeys {
    pub recipient: String,
    pub verifying_key: String,
}

/// The controller's terms, recorded in every receipt (from the app's configuration).
#[derive(Debug, Clone, uniffi::Record)]
pub struct ConsentPolicy {
    pub jurisdiction: String,
    pub controller: String,
    pub contact: String,
    pub policy_url: String,
    pub policy_version: String,
    pub language: String,
}

impl From<ConsentPolicy> for Policy {
    fn from(p: ConsentPolicy) -> Self {
        Policy {
            jurisdiction: p.jurisdiction,
            controller: p.controller,
            contact: p.contact,
            policy_url: p.policy_url,
            policy_version: p.policy_version,
            language: p.language,
        }
    }
}

/// A signed consent grant or revocation.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ConsentRecord {
    pub receipt_id: String,
    pub is_revocation: bool,
    pub memory_id: Option<i64>,
    pub media_id: Option<i64>,
    pub purpose: Purpose,
    pub given_at_ms: i64,
    pub expires_at_ms: Option<i64>,
    /// `None` when the owner gave it; the proxy's relation otherwise.
    pub proxy_relation: Option<String>,
    pub proxy_capacity_note: Option<String>,
    /// For a revocation: the grant it ends.
    pub revokes: Option<String>,
    /// The signer's Ed25519 public key.
    pub signer: String,
    /// The signed receipt, canonical JSON.
    pub document_json: String,
}

impl From<ConsentReceipt> for ConsentRecord {
    fn from(r: ConsentReceipt) -> Self {
        let (memory_id, media_id) = match r.subject {
            Subject::Memory(id) => (Some(id), None),
            Subject::Media(id) => (None, Some(id)),
            Subject::Training => (None, None),
        };
        let (proxy_relation, proxy_capacity_note) = match &r.given_by {
            GivenBy::Owner => (None, None),
            GivenBy::Proxy { relation, capacity_note } => {
                (Some(relation.clone()), Some(capacity_note.clone()))
            }
        };
        Self {
            document_json: r.to_json(),
            receipt_id: r.receipt_id,
            is_revocation: r.kind == ReceiptKind::Revocation,
            memory_id,
            media_id,
            purpose: r.purpose,
            given_at_ms: r.given_at_ms,
            expires_at_ms: r.expires_at_ms,
            proxy_relation,
            proxy_capacity_note,
            revokes: r.revokes,
            signer: r.signer.to_string(),
        }
    }
}

/// Where the enclave is and which signing keys the app pins.
#[derive(Debug, Clone, uniffi::Record)]
pub struct EnclaveConfig {
    pub url: String,
    /// The enclave's Ed25519 public keys (base64), as shipped in the app's configuration.
    pub pinned_signers: Vec<String>,
    /// Part size (every part but the last); 0 for the default 8 MiB.
    pub part_bytes: u64,
}

/// One upload and how far it got.
#[derive(Debug, Clone, uniffi::Record)]
pub struct OutboxEntry {
    pub id: i64,
    pub upload_id: String,
    pub memory_id: Option<i64>,
    pub purpose: Purpose,
    pub consent_receipt_id: String,
    pub state: ItemState,
    pub sealed_bytes: Option<u64>,
    pub acked_bytes: u64,
    pub attempts: u32,
    pub next_attempt_at_ms: i64,
    pub last_error: Option<String>,
}

impl From<OutboxItem> for OutboxEntry {
    fn from(i: OutboxItem) -> Self {
        Self {
            id: i.id,
            upload_id: i.upload_id,
            memory_id: match i.subject {
                Subject::Memory(id) => Some(id),
                Subject::Media(_) | Subject::Training => None,
            },
            purpose: i.purpose,
            consent_receipt_id: i.consent_receipt_id,
            state: i.state,
            sealed_bytes: i.sealed_bytes,
            acked_bytes: i.acked_bytes,
            attempts: i.attempts,
            next_attempt_at_ms: i.next_attempt_at_ms,
            last_error: i.last_error,
        }
    }
}

/// What an outbox run did.
#[derive(Debug, Clone, uniffi::Record)]
pub struct OutboxRun {
    pub uploaded: u32,
    pub erased: u32,
    pub failed: u32,
    pub retrying: u32,
    pub paused: bool,
    pub next_due_ms: Option<i64>,
}

impl From<RunReport> for OutboxRun {
    fn from(r: RunReport) -> Self {
        Self {
            uploaded: r.uploaded,
            erased: r.erased,
            failed: r.failed,
            retrying: r.retrying,
            paused: r.paused,
            next_due_ms: r.next_due_ms,
        }
    }
}

#[uniffi::remote(Enum)]
pub enum ErasureState {
    Pending,
    Done,
    Failed,
}

/// An erasure request queued by a revocation, and where it stands.
#[uniffi::remote(Record)]
pub struct ErasureStatus {
    pub id: i64,
    pub consent_receipt_id: String,
    pub revocation_receipt_id: String,
    pub state: ErasureState,
    pub attempts: u32,
    pub next_attempt_at_ms: i64,
    pub last_error: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// What left the device, when, under which consent — and proof it was erased.
#[derive(Debug, Clone, uniffi::Record)]
pub struct UploadProof {
    pub item_id: i64,
    pub memory_id: Option<i64>,
    pub upload_id: String,
    pub object_key: String,
    pub purpose: String,
    pub consent_receipt_id: String,
    pub sealed_sha256: String,
    pub sealed_bytes: u64,
    /// What the enclave decrypted; null for a family share (the enclave cannot open it).
    pub plaintext_sha256: Option<String>,
    pub key_epoch: u64,
    /// Unix seconds.
    pub accepted_at: i64,
    pub upload_receipt_json: String,
    pub erased_at: Option<i64>,
    pub erasure_receipt_json: Option<String>,
}

impl From<HeldReceipt> for UploadProof {
    fn from(h: HeldReceipt) -> Self {
        let json =
            |v: &serde_json::Value| heirloom_core::seal::canonical_json(v).unwrap_or_default();
        Self {
            item_id: h.item_id,
            memory_id: match h.subject {
                Subject::Memory(id) => Some(id),
                Subject::Media(_) | Subject::Training => None,
            },
            upload_receipt_json: json(&h.upload_document),
            erasure_receipt_json: h.erasure_document.as_ref().map(json),
            erased_at: h.erasure.as_ref().map(|e| e.erased_at),
            upload_id: h.upload.upload_id,
            object_key: h.upload.object_key,
            purpose: h.upload.purpose,
            consent_receipt_id: h.upload.consent_receipt_id,
            sealed_sha256: h.upload.sealed_sha256,
            sealed_bytes: h.upload.sealed_bytes,
            plaintext_sha256: h.upload.plaintext_sha256,
            key_epoch: h.upload.key_epoch,
            accepted_at: h.upload.accepted_at,
        }
    }
}
