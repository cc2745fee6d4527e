//! Consent receipts as documents: the Kantara Consent Receipt 1.1 fields where they apply, with
//! the ISO/IEC TS 27560 notions (purpose, consent type, termination, giver) they map to, in
//! canonical JSON signed with the giver's Ed25519 key.

use super::{ConsentError, GivenBy, Policy, Purpose, Subject};
use crate::seal::{SigningIdentity, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Kantara's version string for the receipt layout followed.
pub const KANTARA_VERSION: &str = "KI-CR-v1.1.0";
/// Heirloom's own format tag, for the fields Kantara does not define.
pub const RECEIPT_FORMAT: &str = "heirloom-consent/1";

/// Grant or revocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptKind {
    Grant,
    Revocation,
}

/// A signed consent record, parsed and verified.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsentReceipt {
    pub receipt_id: String,
    pub kind: ReceiptKind,
    pub subject: Subject,
    pub purpose: Purpose,
    /// Unix milliseconds.
    pub given_at_ms: i64,
    /// End of a grant, if it has one (Unix milliseconds).
    pub expires_at_ms: Option<i64>,
    pub given_by: GivenBy,
    /// For a revocation: the grant it ends.
    pub revokes: Option<String>,
    /// Who signed: the owner's or the proxy's public key.
    pub signer: VerifyingKey,
    /// The owner the data is about (Kantara `piiPrincipalId`): their public key.
    pub principal: VerifyingKey,
    /// The exact signed document.
    pub document: Value,
}

impl ConsentReceipt {
    /// The canonical JSON text, as stored and sent with uploads.
    pub fn to_json(&self) -> String {
        crate::seal::canonical_json(&self.document).unwrap_or_default()
    }
}

pub(crate) struct Draft<'a> {
    pub receipt_id: String,
    pub kind: ReceiptKind,
    pub subject: Subject,
    pub purpose: Purpose,
    pub given_at_ms: i64,
    pub expires_at_ms: Option<i64>,
    pub given_by: &'a GivenBy,
    pub revokes: Option<&'a str>,
    pub principal: VerifyingKey,
    pub policy: &'a Policy,
}

/// Builds and signs the document for `draft`.
pub(crate) fn sign(
    draft: Draft<'_>,
    signer: &SigningIdentity,
) -> Result<ConsentReceipt, ConsentError> {
    let p = draft.policy;
    let termination = match draft.expires_at_ms {
        Some(ms) => format!("at {}", crate::clock::rfc3339(ms)),
        None => "until revoked".to_owned(),
    };
    let given_by = match draft.given_by {
        GivenBy::Owner => json!({ "role": "owner" }),
        GivenBy::Proxy { relation, capacity_note } => json!({
            "role": "proxy", "relation": relation, "capacityNote": capacity_note,
        }),
    };
    let mut doc = json!({
        "version": KANTARA_VERSION,
        "format": RECEIPT_FORMAT,
        "consentReceiptID": draft.receipt_id,
        "kind": draft.kind,
        "consentTimestamp": draft.given_at_ms.div_euclid(1000),
        "consentTimestampMs": draft.given_at_ms,
        "jurisdiction": p.jurisdiction,
        "collectionMethod": match draft.given_by {
            GivenBy::Owner => "in the Heirloom app, by the owner",
            GivenBy::Proxy { .. } => "in the Heirloom app, by a proxy for the owner",
        },
        "language": p.language,
        "piiPrincipalId": draft.principal.to_string(),
        "piiControllers": [{
            "piiController": p.controller,
            "contact": p.contact,
            "onBehalf": false,
        }],
        "policyUrl": p.policy_url,
        "policyVersion": p.policy_version,
        "services": [{
            "service": draft.purpose.service(),
            "purposes": [{
                "purpose": draft.purpose,
                "purposeCategory": [draft.purpose.category()],
                "consentType": "EXPLICIT",
                "piiCategory": [draft.subject.pii_category()],
                "primaryPurpose": true,
                "termination": termination,
                "thirdPartyDisclosure": draft.purpose.discloses(),
            }],
        }],
        "sensitive": true,
        "spiCat": ["life story", "possibly health and bereavement"],
        "subject": draft.subject,
        "givenBy": given_by,
        "signer": signer.verifying_key().to_string(),
    });
    if let (Some(map), Some(expires)) = (doc.as_object_mut(), draft.expires_at_ms) {
        map.insert("expiresAtMs".into(), expires.into());
    }
    if let (Some(map), Some(revokes)) = (doc.as_object_mut(), draft.revokes) {
        map.insert("revokes".into(), revokes.into());
    }
    signer.sign_document(&mut doc)?;
    parse(&doc)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Fields {
    version: String,
    format: String,
    #[serde(rename = "consentReceiptID")]
    receipt_id: String,
    kind: ReceiptKind,
    consent_timestamp_ms: i64,
    expires_at_ms: Option<i64>,
    pii_principal_id: String,
    services: Vec<ServiceFields>,
    subject: Subject,
    given_by: GivenByFields,
    revokes: Option<String>,
    signer: String,
}

#[derive(Deserialize)]
struct ServiceFields {
    purposes: Vec<PurposeFields>,
}

#[derive(Deserialize)]
struct PurposeFields {
    purpose: Purpose,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GivenByFields {
    role: String,
    relation: Option<String>,
    capacity_note: Option<String>,
}

/// Parses a receipt and checks its signature against the key it names. Whether that key may
/// sign for this owner is the caller's question (see [`super::verify_receipt`]).
pub fn parse(doc: &Value) -> Result<ConsentReceipt, ConsentError> {
    let bad = |what| ConsentError::InvalidReceipt { what };
    let f: Fields = serde_json::from_value(doc.clone()).map_err(|_| bad("fields"))?;
    if f.version != KANTARA_VERSION || f.format != RECEIPT_FORMAT {
        return Err(bad("version"));
    }
    let signer: VerifyingKey = f.signer.parse().map_err(|_| bad("signer"))?;
    signer.verify_document(doc).map_err(|_| ConsentError::BadSignature)?;
    let principal: VerifyingKey = f.pii_principal_id.parse().map_err(|_| bad("principal"))?;
    let [service] = f.services.as_slice() else { return Err(bad("services")) };
    let [purpose] = service.purposes.as_slice() else { return Err(bad("purposes")) };
    let given_by = match (f.given_by.role.as_str(), f.given_by.relation, f.given_by.capacity_note) {
        ("owner", None, None) => GivenBy::Owner,
        ("proxy", Some(relation), Some(capacity_note)) => {
            GivenBy::Proxy { relation, capacity_note }
        }
        _ => return Err(bad("givenBy")),
    };
    if (f.kind == ReceiptKind::Revocation) != f.revokes.is_some() {
        return Err(bad("revokes"));
    }
    Ok(ConsentReceipt {
        receipt_id: f.receipt_id,
        kind: f.kind,
        subject: f.subject,
        purpose: purpose.purpose,
        given_at_ms: f.consent_timestamp_ms,
        expires_at_ms: f.expires_at_ms,
        given_by,
        revokes: f.revokes,
        signer,
        principal,
        document: doc.clone(),
    })
}
