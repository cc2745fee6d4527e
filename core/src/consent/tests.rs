//! Consent against a real (encrypted SQLite) graph, with real keys.

use super::*;
use crate::keystore::FileKeyStore;
use crate::seal::OwnerKeys;

const NOW: i64 = 1_795_348_800_000;

struct Fixture {
    _dir: tempfile::TempDir,
    graph: MemoryGraph,
    owner: OwnerKeys,
    memory: i64,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = FileKeyStore::new(dir.path().join("keys"));
    let graph = MemoryGraph::open(&dir.path().join("data"), &keys).expect("open");
    let owner = OwnerKeys::load_or_create(&keys).expect("owner keys");
    let memory =
        graph.add_text_memory("the lake", "we swam every morning", None).expect("add").memory.id;
    Fixture { _dir: dir, graph, owner, memory }
}

use crate::consent::test_policy as policy;

fn owner_giver(f: &Fixture) -> Giver<'_> {
    Giver {
        signer: f.owner.signing(),
        principal: f.owner.public().verifying_key,
        given_by: GivenBy::Owner,
    }
}

fn request(memory: i64, purpose: Purpose) -> ConsentRequest {
    ConsentRequest { subject: Subject::Memory(memory), purpose, expires_at_ms: None }
}

#[test]
fn a_grant_is_live_until_revoked_and_history_keeps_both() {
    let f = fixture();
    let subject = Subject::Memory(f.memory);
    assert!(live_grant(&f.graph, subject, Purpose::EncryptedBackup, NOW).expect("live").is_none());
    let grant = give(
        &f.graph,
        &owner_giver(&f),
        &request(f.memory, Purpose::EncryptedBackup),
        &policy(),
        NOW,
    )
    .expect("give");
    assert_eq!(grant.kind, ReceiptKind::Grant);
    let live = live_grant(&f.graph, subject, Purpose::EncryptedBackup, NOW + 1)
        .expect("live")
        .expect("granted");
    assert_eq!(live.receipt_id, grant.receipt_id);
    // Per purpose: backup does not let training have it.
    assert!(live_grant(&f.graph, subject, Purpose::AiTraining, NOW).expect("live").is_none());
    // Asking again returns the same live grant, no duplicate record.
    let again = give(
        &f.graph,
        &owner_giver(&f),
        &request(f.memory, Purpose::EncryptedBackup),
        &policy(),
        NOW + 5,
    )
    .expect("give again");
    assert_eq!(again.receipt_id, grant.receipt_id);

    let revocation =
        revoke(&f.graph, &owner_giver(&f), subject, Purpose::EncryptedBackup, &policy(), NOW + 10)
            .expect("revoke");
    assert_eq!(revocation.revokes.as_deref(), Some(grant.receipt_id.as_str()));
    assert!(live_grant(&f.graph, subject, Purpose::EncryptedBackup, NOW + 11)
        .expect("live")
        .is_none());
    assert!(matches!(
        revoke(&f.graph, &owner_giver(&f), subject, Purpose::EncryptedBackup, &policy(), NOW + 12),
        Err(ConsentError::NotGranted { .. })
    ));
    let history = history(&f.graph, Some(subject)).expect("history");
    assert_eq!(
        history.iter().map(|r| r.kind).collect::<Vec<_>>(),
        [ReceiptKind::Grant, ReceiptKind::Revocation]
    );
    // Granting again after a revocation is a new grant.
    let regrant = give(
        &f.graph,
        &owner_giver(&f),
        &request(f.memory, Purpose::EncryptedBackup),
        &policy(),
        NOW + 20,
    )
    .expect("regrant");
    assert_ne!(regrant.receipt_id, grant.receipt_id);
    assert_eq!(
        receipt(&f.graph, &grant.receipt_id).expect("by id").map(|r| r.kind),
        Some(ReceiptKind::Grant)
    );
}

#[test]
fn receipts_carry_the_kantara_fields_and_verify_elsewhere() {
    let f = fixture();
    let grant =
        give(&f.graph, &owner_giver(&f), &request(f.memory, Purpose::Research), &policy(), NOW)
            .expect("give");
    let doc: serde_json::Value = serde_json::from_str(&grant.to_json()).expect("json");
    for field in [
        "version",
        "consentReceiptID",
        "consentTimestamp",
        "jurisdiction",
        "collectionMethod",
        "piiPrincipalId",
        "piiControllers",
        "policyUrl",
        "policyVersion",
        "services",
        "signature",
    ] {
        assert!(doc.get(field).is_some(), "missing {field}");
    }
    assert_eq!(doc["services"][0]["purposes"][0]["purpose"], "research");
    assert_eq!(doc["services"][0]["purposes"][0]["termination"], "until revoked");
    assert_eq!(doc["jurisdiction"], "GB");
    let verified = verify_receipt(&doc).expect("verifies");
    assert_eq!(verified.principal, f.owner.public().verifying_key);
    // No user content: the memory's title and words are not in the receipt.
    let text = grant.to_json();
    assert!(!text.contains("lake") && !text.contains("swam"), "{text}");
    let mut changed = doc.clone();
    changed["services"][0]["purposes"][0]["purpose"] = "ai_training".into();
    assert!(matches!(verify_receipt(&changed), Err(ConsentError::BadSignature)));
}

#[test]
fn a_proxy_gives_with_their_own_key_relation_and_capacity_note() {
    let f = fixture();
    let daughter = crate::seal::SigningIdentity::generate().expect("key");
    let proxy = Giver {
        signer: &daughter,
        principal: f.owner.public().verifying_key,
        given_by: GivenBy::Proxy {
            relation: "daughter".into(),
            capacity_note: "advanced dementia; lasting power of attorney registered 2024".into(),
        },
    };
    let grant =
        give(&f.graph, &proxy, &request(f.memory, Purpose::ShareWithFamily), &policy(), NOW)
            .expect("give");
    assert_eq!(grant.signer, daughter.verifying_key());
    assert!(
        matches!(grant.given_by, GivenBy::Proxy { ref relation, .. } if relation == "daughter")
    );
    verify_receipt(&grant.document).expect("verifies");
    // The proxy can revoke too.
    revoke(
        &f.graph,
        &proxy,
        Subject::Memory(f.memory),
        Purpose::ShareWithFamily,
        &policy(),
        NOW + 1,
    )
    .expect("revoke");
    // Misuse: a proxy without a capacity note, a proxy using the owner's key, the owner's consent
    // signed by someone else.
    let no_note = Giver {
        given_by: GivenBy::Proxy { relation: "son".into(), capacity_note: " ".into() },
        ..proxy.clone()
    };
    let as_owner = Giver { signer: f.owner.signing(), ..proxy.clone() };
    let forged_owner = Giver { given_by: GivenBy::Owner, ..proxy.clone() };
    for giver in [no_note, as_owner, forged_owner] {
        assert!(matches!(
            give(
                &f.graph,
                &giver,
                &request(f.memory, Purpose::ShareWithFamily),
                &policy(),
                NOW + 2
            ),
            Err(ConsentError::InvalidRequest { .. })
        ));
    }
}

#[test]
fn bad_requests_get_typed_errors() {
    let f = fixture();
    let g = owner_giver(&f);
    assert!(matches!(
        give(&f.graph, &g, &request(f.memory, Purpose::DeviceOnly), &policy(), NOW),
        Err(ConsentError::InvalidRequest { .. })
    ));
    assert!(matches!(
        give(&f.graph, &g, &request(9_999, Purpose::Research), &policy(), NOW),
        Err(ConsentError::SubjectNotFound { kind: "memory", id: 9_999 })
    ));
    let expired =
        ConsentRequest { expires_at_ms: Some(NOW - 1), ..request(f.memory, Purpose::Research) };
    assert!(matches!(
        give(&f.graph, &g, &expired, &policy(), NOW),
        Err(ConsentError::InvalidRequest { .. })
    ));
    let week = ConsentRequest {
        expires_at_ms: Some(NOW + 7 * 86_400_000),
        ..request(f.memory, Purpose::Research)
    };
    give(&f.graph, &g, &week, &policy(), NOW).expect("a week");
    let subject = Subject::Memory(f.memory);
    assert!(live_grant(&f.graph, subject, Purpose::Research, NOW + 86_400_000)
        .expect("live")
        .is_some());
    assert!(live_grant(&f.graph, subject, Purpose::Research, NOW + 8 * 86_400_000)
        .expect("live")
        .is_none());
}

#[test]
fn the_history_cannot_be_rewritten() {
    let f = fixture();
    let grant = give(
        &f.graph,
        &owner_giver(&f),
        &request(f.memory, Purpose::EncryptedBackup),
        &policy(),
        NOW,
    )
    .expect("give");
    let update = f.graph.database().write(|tx| {
        tx.execute("UPDATE consent_record SET purpose = 'research'", []).map_err(GraphError::from)
    });
    assert!(update.is_err(), "an update went through");
    let delete = f
        .graph
        .database()
        .write(|tx| tx.execute("DELETE FROM consent_record", []).map_err(GraphError::from));
    assert!(delete.is_err(), "a delete went through");
    assert_eq!(history(&f.graph, None).expect("history").len(), 1);
    assert_eq!(history(&f.graph, None).expect("history")[0].receipt_id, grant.receipt_id);
}
