//! What the phone and the enclave say to each other, defined once for both sides: the upload
//! manifest, the plan of presigned part URLs, completion, erasure requests, and the two signed
//! receipts the enclave returns (upload and erasure), with their checks.

use crate::seal::{SealError, SigningIdentity, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `format` of an upload receipt.
pub const UPLOAD_RECEIPT_FORMAT: &str = "heirloom-upload-receipt/1";
/// `format` of an erasure receipt.
pub const ERASURE_RECEIPT_FORMAT: &str = "heirloom-erasure-receipt/1";

/// `POST /v1/uploads`: what the phone wants to send. `upload_id` is the idempotency key: the
/// same manifest sent again gets the same upload, never a second object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadManifest {
    pub upload_id: String,
    pub purpose: String,
    /// The signed consent receipt (grant) the upload happens under.
    pub consent: Value,
    /// Hex SHA-256 of the sealed file.
    pub sealed_sha256: String,
    pub sealed_bytes: u64,
    /// Size of every part but the last.
    pub part_bytes: u64,
    /// The enclave key epoch the file is sealed to.
    pub key_epoch: u64,
}

/// One part to PUT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartUrl {
    /// 1-based, as S3 numbers parts.
    pub number: u32,
    pub url: String,
}

/// The enclave's answer to a manifest: where to PUT each part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadPlan {
    pub upload_id: String,
    pub object_key: String,
    pub parts: Vec<PartUrl>,
    /// When the URLs stop working (Unix seconds); ask for the plan again after.
    pub urls_expire: i64,
    /// Set when the upload was already completed: its receipt, so a retry needs nothing else.
    pub receipt: Option<Value>,
}

/// A part the store acknowledged, with the ETag it returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletedPart {
    pub number: u32,
    pub etag: String,
}

/// `POST /v1/uploads/{id}/complete`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompleteRequest {
    pub parts: Vec<CompletedPart>,
}

/// `POST /v1/erasures`: a signed revocation and the uploads made under the grant it ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErasureRequest {
    pub revocation: Value,
    pub upload_ids: Vec<String>,
}

/// An error body from the enclave: a stable kind and a message without user content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    pub message: String,
}

/// The enclave's proof that it received, decrypted and accepted an upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadReceipt {
    pub upload_id: String,
    pub object_key: String,
    pub sealed_sha256: String,
    pub sealed_bytes: u64,
    /// What the enclave decrypted. Absent for a family share: the enclave cannot open it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plaintext_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plaintext_bytes: Option<u64>,
    pub consent_receipt_id: String,
    pub purpose: String,
    pub key_epoch: u64,
    pub measurement: String,
    /// Unix seconds.
    pub accepted_at: i64,
    /// For a model update ("AI training"): what it contributed, for the owner's ledger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contribution: Option<crate::learn::Contribution>,
}

/// The enclave's proof that it deleted the objects and everything derived from them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureReceipt {
    pub erasure_id: String,
    pub consent_receipt_id: String,
    pub revocation_receipt_id: String,
    pub upload_ids: Vec<String>,
    pub object_keys: Vec<String>,
    pub measurement: String,
    /// Unix seconds.
    pub erased_at: i64,
}

pub(crate) fn sign_as<T: Serialize>(
    body: &T,
    format: &str,
    signer: &SigningIdentity,
) -> Result<Value, SealError> {
    let mut doc =
        serde_json::to_value(body).map_err(|_| SealError::Malformed { what: "receipt" })?;
    if let Some(map) = doc.as_object_mut() {
        map.insert("format".into(), format.into());
        map.insert("signer".into(), signer.verifying_key().to_string().into());
    }
    signer.sign_document(&mut doc)?;
    Ok(doc)
}

/// Checks `doc` is a `format` document signed by one of the `pinned` keys; returns its body.
pub(crate) fn verify_as<T: for<'de> Deserialize<'de>>(
    doc: &Value,
    format: &str,
    pinned: &[VerifyingKey],
) -> Result<T, SealError> {
    let malformed = || SealError::Malformed { what: "receipt" };
    if doc.get("format").and_then(Value::as_str) != Some(format) {
        return Err(malformed());
    }
    let signer: VerifyingKey =
        doc.get("signer").and_then(Value::as_str).ok_or_else(malformed)?.parse()?;
    if !pinned.contains(&signer) {
        return Err(SealError::UntrustedSigner);
    }
    signer.verify_document(doc)?;
    serde_json::from_value(doc.clone()).map_err(|_| malformed())
}

/// Format tag of a share manifest.
pub const SHARE_MANIFEST_FORMAT: &str = "heirloom-share/1";

/// What a family member needs to fetch, check and open a share, signed by the owner: where the
/// sealed file is, its hash and size, the owner's consent to share it and the enclave's
/// receipt for it. It names no member and holds no content: it can travel any way (a message,
/// a QR code's link) and opening still needs a member's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareManifest {
    pub share_id: String,
    pub object_key: String,
    /// "memory" or "media".
    pub payload: String,
    pub sealed_sha256: String,
    pub sealed_bytes: u64,
    /// The owner's signed "share with family" grant.
    pub consent: Value,
    /// The enclave's signed receipt for the upload.
    pub upload_receipt: Value,
    /// Unix seconds.
    pub shared_at: i64,
}

impl ShareManifest {
    /// Signs the manifest with the owner's key.
    pub fn sign(&self, owner: &SigningIdentity) -> Result<Value, SealError> {
        sign_as(self, SHARE_MANIFEST_FORMAT, owner)
    }

    /// Verifies a manifest signed by `owner`.
    pub fn verify(doc: &Value, owner: &VerifyingKey) -> Result<Self, SealError> {
        verify_as(doc, SHARE_MANIFEST_FORMAT, std::slice::from_ref(owner))
    }

    /// Verifies a manifest's own signature, whoever signed it; returns the body and the signer
    /// (the enclave checks the signer is the consent's principal).
    pub fn verify_self_signed(doc: &Value) -> Result<(Self, VerifyingKey), SealError> {
        let signer: VerifyingKey = doc
            .get("signer")
            .and_then(Value::as_str)
            .ok_or(SealError::Malformed { what: "receipt" })?
            .parse()?;
        Ok((verify_as(doc, SHARE_MANIFEST_FORMAT, std::slice::from_ref(&signer))?, signer))
    }
}

impl UploadReceipt {
    /// Signs the receipt (the enclave does).
    pub fn sign(&self, signer: &SigningIdentity) -> Result<Value, SealError> {
        sign_as(self, UPLOAD_RECEIPT_FORMAT, signer)
    }

    /// Verifies a receipt against the pinned enclave signing keys.
    pub fn verify(doc: &Value, pinned: &[VerifyingKey]) -> Result<Self, SealError> {
        verify_as(doc, UPLOAD_RECEIPT_FORMAT, pinned)
    }
}

impl ErasureReceipt {
    /// Signs the receipt (the enclave does).
    pub fn sign(&self, signer: &SigningIdentity) -> Result<Value, SealError> {
        sign_as(self, ERASURE_RECEIPT_FORMAT, signer)
    }

    /// Verifies a receipt against the pinned enclave signing keys.
    pub fn verify(doc: &Value, pinned: &[VerifyingKey]) -> Result<Self, SealError> {
        verify_as(doc, ERASURE_RECEIPT_FORMAT, pinned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt() -> UploadReceipt {
        UploadReceipt {
            upload_id: "u1".into(),
            object_key: "uploads/u1.age".into(),
            sealed_sha256: "aa".repeat(32),
            sealed_bytes: 10,
            plaintext_sha256: Some("bb".repeat(32)),
            plaintext_bytes: Some(5),
            consent_receipt_id: "c1".into(),
            purpose: "encrypted_backup".into(),
            key_epoch: 1,
            measurement: "cc".repeat(32),
            accepted_at: 1_795_348_800,
            contribution: None,
        }
    }

    #[test]
    fn receipts_verify_only_with_a_pinned_key_and_untouched() {
        let enclave = SigningIdentity::generate().expect("key");
        let doc = receipt().sign(&enclave).expect("sign");
        let pinned = [enclave.verifying_key()];
        assert_eq!(UploadReceipt::verify(&doc, &pinned).expect("verifies"), receipt());
        let mut changed = doc.clone();
        changed["plaintext_sha256"] = "dd".repeat(32).into();
        assert!(matches!(UploadReceipt::verify(&changed, &pinned), Err(SealError::BadSignature)));
        let stranger = SigningIdentity::generate().expect("key");
        let forged = receipt().sign(&stranger).expect("sign");
        assert!(matches!(UploadReceipt::verify(&forged, &pinned), Err(SealError::UntrustedSigner)));
        // An upload receipt is not an erasure receipt.
        assert!(ErasureReceipt::verify(&doc, &pinned).is_err());
    }
}
