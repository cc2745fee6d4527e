//! The whole journey on loopback, with real parts: a recorded memory → consent → sealed to the
//! enclave's verified key → uploaded in parts through presigned URLs to a real SeaweedFS → the
//! reference enclave reassembles, decrypts and signs a receipt → the phone verifies and keeps it
//! → revoke → the enclave deletes the object and what it derived and signs an erasure receipt →
//! the object is gone from the store. And the refusals: no consent, forged or rolled-back keys.

use heirloom_core::consent::{self, ConsentRequest, GivenBy, Giver, Policy, Purpose, Subject};
use heirloom_core::graph::MemoryGraph;
use heirloom_core::keystore::FileKeyStore;
use heirloom_core::outbox::{self, CancelFlag, ItemState, Outbox, OutboxConfig, Quiet};
use heirloom_core::seal::{OwnerKeys, SigningIdentity};
use heirloom_tests::seaweed::Seaweed;
use heirloom_tests::LocalEnclave;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

struct Phone {
    _dir: tempfile::TempDir,
    graph: MemoryGraph,
    owner: OwnerKeys,
    memory: i64,
}

fn phone() -> Phone {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = FileKeyStore::new(dir.path().join("keys"));
    let graph = MemoryGraph::open(&dir.path().join("data"), &keys).expect("graph");
    let owner = OwnerKeys::load_or_create(&keys).expect("owner keys");
    // A recorded memory: a second of a 440 Hz tone as the voice, and its transcript.
    let wav = dir.path().join("voice.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&wav, spec).expect("wav");
    for i in 0..16_000 {
        let s = (i as f32 * 440.0 * std::f32::consts::TAU / 16_000.0).sin();
        w.write_sample((s * 8_000.0) as i16).expect("sample");
    }
    w.finalize().expect("wav done");
    let (memory, _) = graph.import_audio(&wav, "Summer at the lake").expect("import");
    Phone { _dir: dir, graph, owner, memory: memory.id }
}

fn policy() -> Policy {
    heirloom_tests::policy()
}

fn giver(p: &Phone) -> Giver<'_> {
    Giver {
        signer: p.owner.signing(),
        principal: p.owner.public().verifying_key,
        given_by: GivenBy::Owner,
    }
}

fn config(enclave: &LocalEnclave, pinned: Vec<heirloom_core::seal::VerifyingKey>) -> OutboxConfig {
    let mut c = OutboxConfig::new(enclave.url(), pinned);
    c.part_bytes = 64 * 1024;
    c.request_timeout = Duration::from_secs(10);
    c.backoff_base = Duration::from_millis(20);
    c.backoff_cap = Duration::from_millis(500);
    c
}

fn pinned(enclave: &LocalEnclave) -> Vec<heirloom_core::seal::VerifyingKey> {
    vec![enclave.server().enclave.keys.signing().verifying_key()]
}

fn drain(outbox: &Outbox<'_>) -> outbox::RunReport {
    outbox
        .run_until_idle(&Quiet, &CancelFlag::new(), Instant::now() + Duration::from_secs(60))
        .expect("run")
}

#[test]
fn record_consent_seal_upload_receipt_revoke_erase() {
    let weed = Seaweed::start();
    let enclave = LocalEnclave::start(&weed, None);
    let p = phone();
    let subject = Subject::Memory(p.memory);
    let now = heirloom_core::clock::now_ms();

    // No consent: nothing can be queued, the store stays empty.
    assert!(matches!(
        outbox::enqueue(&p.graph, subject, Purpose::EncryptedBackup, now),
        Err(outbox::OutboxError::ConsentRequired { .. })
    ));
    let request =
        ConsentRequest { subject, purpose: Purpose::EncryptedBackup, expires_at_ms: None };
    let grant = consent::give(&p.graph, &giver(&p), &request, &policy(), now).expect("consent");
    let outbox = Outbox::new(&p.graph, config(&enclave, pinned(&enclave))).expect("outbox");
    let item = outbox.enqueue(subject, Purpose::EncryptedBackup, now).expect("queued");
    let report = drain(&outbox);
    assert_eq!((report.uploaded, report.failed), (1, 0), "{report:?}");

    let receipts = outbox.receipts().expect("receipts");
    assert_eq!(receipts.len(), 1);
    let held = &receipts[0];
    assert_eq!(held.upload.upload_id, item.upload_id);
    assert_eq!(held.upload.consent_receipt_id, grant.receipt_id);
    assert_eq!(held.upload.purpose, "encrypted_backup");
    // The enclave decrypted exactly what the phone exported.
    let export = outbox::export_memory(&p.graph, p.memory, Vec::new()).expect("export");
    let want: String = Sha256::digest(&export).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(held.upload.plaintext_sha256.as_deref(), Some(want.as_str()));
    assert_eq!(held.upload.plaintext_bytes, Some(export.len() as u64));
    assert!(export.len() > 32_000, "the recording went too");
    // The store holds one object, and it is sealed, not the memory.
    assert_eq!(enclave.objects("uploads"), vec![held.upload.object_key.clone()]);
    let mut reader = enclave
        .block_on(enclave.server().enclave.objects.reader(&held.upload.object_key))
        .expect("get");
    let mut stored = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut stored).expect("read object");
    assert_eq!(stored.len() as u64, held.upload.sealed_bytes);
    assert!(stored.starts_with(b"age-encryption.org/v1\n-> X25519 "), "not an age file");
    assert!(!stored.windows(6).any(|w| w == b"Summer"), "plaintext in the store");
    // Anonymous reads are refused: the store is reachable only with credentials or a presigned URL.
    let anonymous =
        reqwest::blocking::get(format!("{}/heirloom/{}", weed.endpoint(), held.upload.object_key))
            .expect("get");
    assert_eq!(anonymous.status().as_u16(), 403);
    // Nothing sealed is left waiting on the phone.
    let left = std::fs::read_dir(p.graph.data_dir().join(outbox::OUTBOX_DIR))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(left, 0);

    // Revoke: the enclave erases and proves it.
    consent::revoke(&p.graph, &giver(&p), subject, Purpose::EncryptedBackup, &policy(), now + 1000)
        .expect("revoke");
    let report = drain(&outbox);
    assert_eq!(report.erased, 1, "{report:?}");
    let receipts = outbox.receipts().expect("receipts");
    let erasure = receipts[0].erasure.as_ref().expect("erasure receipt");
    assert_eq!(erasure.consent_receipt_id, grant.receipt_id);
    assert!(erasure.upload_ids.contains(&item.upload_id));
    assert!(enclave.objects("uploads").is_empty(), "object still in the store");
    assert_eq!(enclave.server().enclave.state.derived_count(&item.upload_id).expect("derived"), 0);
    assert_eq!(outbox.items().expect("items")[0].state, ItemState::Erased);
    // A retry of the revoked upload is refused by the enclave, not just by the phone.
    let again =
        consent::give(&p.graph, &giver(&p), &request, &policy(), now + 2000).expect("new consent");
    assert_ne!(again.receipt_id, grant.receipt_id);
}

#[test]
fn forged_and_rolled_back_enclave_keys_are_refused_and_nothing_is_sealed() {
    let weed = Seaweed::start();
    let enclave = LocalEnclave::start(&weed, None);
    let p = phone();
    let subject = Subject::Memory(p.memory);
    let now = heirloom_core::clock::now_ms();
    let request = ConsentRequest { subject, purpose: Purpose::Research, expires_at_ms: None };
    consent::give(&p.graph, &giver(&p), &request, &policy(), now).expect("consent");

    // The app pins another key: the enclave's bundle is refused.
    let stranger = SigningIdentity::generate().expect("key");
    let outbox =
        Outbox::new(&p.graph, config(&enclave, vec![stranger.verifying_key()])).expect("outbox");
    let item = outbox.enqueue(subject, Purpose::Research, now).expect("queued");
    let report = outbox.run_once(&Quiet, &CancelFlag::new(), now).expect("pass");
    assert_eq!(report.retrying, 1);
    let after = &outbox.items().expect("items")[0];
    assert_eq!((after.id, after.state), (item.id, ItemState::Queued));
    assert_eq!(after.last_error.as_deref(), Some("enclave refused"));
    assert!(enclave.objects("").is_empty());

    // With the right pin it goes through; then a rotation is accepted...
    let outbox = Outbox::new(&p.graph, config(&enclave, pinned(&enclave))).expect("outbox");
    let report = drain(&outbox);
    assert_eq!(report.uploaded, 1, "{report:?}");
    enclave.block_on(async { enclave.server().enclave.rotate() }).expect("rotate");
    let request = ConsentRequest { subject, purpose: Purpose::AiTraining, expires_at_ms: None };
    consent::give(&p.graph, &giver(&p), &request, &policy(), now).expect("consent");
    outbox.enqueue(subject, Purpose::AiTraining, now).expect("queued");
    assert_eq!(drain(&outbox).uploaded, 1);
    let epochs: Vec<u64> =
        outbox.receipts().expect("receipts").iter().map(|r| r.upload.key_epoch).collect();
    assert_eq!(epochs, [1, 2]);

    // ...but a fresh enclave that starts again at epoch 1 (a rollback) is not.
    let other = LocalEnclave::start(&weed, None);
    let rolled_back = Outbox::new(&p.graph, config(&other, pinned(&other))).expect("outbox");
    let request = ConsentRequest { subject, purpose: Purpose::AiTraining, expires_at_ms: None };
    consent::give(&p.graph, &giver(&p), &request, &policy(), now).expect("consent");
    rolled_back.enqueue(subject, Purpose::AiTraining, now).expect("queued");
    let report = rolled_back.run_once(&Quiet, &CancelFlag::new(), now).expect("pass");
    assert_eq!((report.uploaded, report.retrying), (0, 1));
    assert_eq!(other.objects("uploads").len(), 2, "only the two earlier uploads are in the store");
}

#[test]
fn another_owner_cannot_erase_or_withdraw_what_is_not_theirs() {
    let weed = Seaweed::start();
    let enclave = LocalEnclave::start(&weed, None);
    let alice = phone();
    let now = heirloom_core::clock::now_ms();
    let subject = Subject::Memory(alice.memory);
    let request =
        ConsentRequest { subject, purpose: Purpose::EncryptedBackup, expires_at_ms: None };
    let grant =
        consent::give(&alice.graph, &giver(&alice), &request, &policy(), now).expect("consent");
    let outbox = Outbox::new(&alice.graph, config(&enclave, pinned(&enclave))).expect("outbox");
    let item = outbox.enqueue(subject, Purpose::EncryptedBackup, now).expect("queued");
    assert_eq!(drain(&outbox).uploaded, 1);

    // Mallory revokes a grant of her own and names Alice's upload in the erasure request.
    let mallory = phone();
    let m_subject = Subject::Memory(mallory.memory);
    let m_request = ConsentRequest {
        subject: m_subject,
        purpose: Purpose::EncryptedBackup,
        expires_at_ms: None,
    };
    consent::give(&mallory.graph, &giver(&mallory), &m_request, &policy(), now).expect("consent");
    let revocation = consent::revoke(
        &mallory.graph,
        &giver(&mallory),
        m_subject,
        Purpose::EncryptedBackup,
        &policy(),
        now + 1,
    )
    .expect("revoke");
    let http = reqwest::blocking::Client::new();
    let erase = |revocation: &serde_json::Value| {
        let body = serde_json::json!({ "revocation": revocation, "upload_ids": [item.upload_id] });
        http.post(format!("{}/v1/erasures", enclave.url())).json(&body).send().expect("erase")
    };
    let answer = erase(&revocation.document);
    assert!(answer.status().is_success());
    let receipt: serde_json::Value = answer.json().expect("receipt");
    assert!(
        !receipt["upload_ids"].to_string().contains(&item.upload_id),
        "Alice's upload listed in Mallory's erasure"
    );
    assert_eq!(enclave.objects("uploads").len(), 1, "Alice's object must stay");
    assert_eq!(enclave.server().enclave.state.derived_count(&item.upload_id).expect("derived"), 1);

    // A revocation of Alice's grant that names Alice but is signed by Mallory is refused.
    let forged = Giver {
        signer: mallory.owner.signing(),
        principal: alice.owner.public().verifying_key,
        given_by: GivenBy::Proxy { relation: "friend".into(), capacity_note: "none".into() },
    };
    // Recorded on Mallory's phone only so it is a well-formed signed revocation of Alice's grant id.
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = FileKeyStore::new(dir.path().join("keys"));
    let scratch = MemoryGraph::open(&dir.path().join("data"), &keys).expect("graph");
    let m = scratch.add_text_memory("x", "y", None).expect("memory").memory.id;
    let r = ConsentRequest {
        subject: Subject::Memory(m),
        purpose: Purpose::EncryptedBackup,
        expires_at_ms: None,
    };
    consent::give(&scratch, &forged, &r, &policy(), now).expect("grant");
    let mut fake = consent::revoke(
        &scratch,
        &forged,
        Subject::Memory(m),
        Purpose::EncryptedBackup,
        &policy(),
        now + 2,
    )
    .expect("revocation")
    .document;
    fake["revokes"] = grant.receipt_id.clone().into();
    mallory.owner.signing().sign_document(&mut fake).expect("re-sign");
    assert_eq!(erase(&fake).status().as_u16(), 403);
    assert_eq!(enclave.objects("uploads").len(), 1, "Alice's object must stay");

    // Admin endpoints do not exist without a configured token.
    let rotate = http.post(format!("{}/v1/admin/rotate", enclave.url())).send().expect("rotate");
    assert_eq!(rotate.status().as_u16(), 404);
}

/// Stops the pass as soon as an item is sealed, so it waits on the phone sealed to the key of
/// that moment.
struct StopWhenSealed(CancelFlag);

impl outbox::OutboxListener for StopWhenSealed {
    fn on_state(&self, _item: i64, state: ItemState) {
        if state == ItemState::Sealed {
            self.0.cancel();
        }
    }
}

#[test]
fn an_item_sealed_to_a_retired_key_is_sealed_again_to_the_current_one() {
    let weed = Seaweed::start();
    let enclave = LocalEnclave::start(&weed, None);
    let p = phone();
    let subject = Subject::Memory(p.memory);
    let now = heirloom_core::clock::now_ms();
    let request =
        ConsentRequest { subject, purpose: Purpose::EncryptedBackup, expires_at_ms: None };
    consent::give(&p.graph, &giver(&p), &request, &policy(), now).expect("consent");
    // Android's trust setup (Mozilla's roots compiled in) builds and works like the platform's.
    let mut android = config(&enclave, pinned(&enclave));
    android.tls_roots = outbox::TlsRoots::Bundled;
    let outbox = Outbox::new(&p.graph, android).expect("outbox");
    let item = outbox.enqueue(subject, Purpose::EncryptedBackup, now).expect("queued");
    let stop = CancelFlag::new();
    let pass = outbox.run_once(&StopWhenSealed(stop.clone()), &stop, now);
    assert!(matches!(pass, Err(outbox::OutboxError::Cancelled)), "{pass:?}");
    let waiting = &outbox.items().expect("items")[0];
    assert_eq!(waiting.state, ItemState::Sealed);
    let sealed_dir = p.graph.data_dir().join(outbox::OUTBOX_DIR);
    let old_files: Vec<_> = std::fs::read_dir(&sealed_dir).expect("dir").flatten().collect();
    assert_eq!(old_files.len(), 1);

    // The enclave moves to epoch 2 and retires epoch 1 before the parts go up.
    let server = &enclave.server().enclave;
    enclave.block_on(async { server.rotate() }).expect("rotate");
    assert!(server.state.retire_epoch(1).expect("retire"));

    let report = drain(&outbox);
    assert_eq!((report.uploaded, report.failed), (1, 0), "{report:?}");
    let receipts = outbox.receipts().expect("receipts");
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0].upload.key_epoch, 2, "sealed again to the current key");
    // A new upload id for the new sealed file, so nothing sent under the old one is reused.
    assert_ne!(receipts[0].upload.upload_id, item.upload_id);
    assert_eq!(enclave.objects("uploads"), vec![receipts[0].upload.object_key.clone()]);
    assert!(!old_files[0].path().exists(), "the copy sealed to the retired key is deleted");
    assert_eq!(std::fs::read_dir(&sealed_dir).expect("dir").count(), 0);
}

#[test]
fn the_enclave_rotates_its_key_before_phones_could_meet_an_expired_one() {
    let weed = Seaweed::start();
    // Epochs valid for 4 s: the bundle rotates once the current one is in its last second.
    let enclave = LocalEnclave::start_with(&weed, None, Duration::from_secs(4));
    let bundle = || -> serde_json::Value {
        reqwest::blocking::get(format!("{}/v1/key-bundle", enclave.url()))
            .expect("bundle")
            .json()
            .expect("json")
    };
    let first = bundle();
    assert_eq!(first["epoch"], 1, "{first}");
    assert_eq!(bundle()["epoch"], 1, "no rotation while the epoch is fresh");
    std::thread::sleep(Duration::from_millis(3_200));
    let second = bundle();
    assert_eq!(second["epoch"], 2, "{second}");
    assert!(second["expires"].as_i64() > first["expires"].as_i64());
    assert_ne!(second["recipient"], first["recipient"], "a new key, not a new date on the old one");

    // A phone that fetches now seals to epoch 2, and the enclave opens it.
    let p = phone();
    let subject = Subject::Memory(p.memory);
    let now = heirloom_core::clock::now_ms();
    let request = ConsentRequest { subject, purpose: Purpose::Research, expires_at_ms: None };
    consent::give(&p.graph, &giver(&p), &request, &policy(), now).expect("consent");
    let outbox = Outbox::new(&p.graph, config(&enclave, pinned(&enclave))).expect("outbox");
    outbox.enqueue(subject, Purpose::Research, now).expect("queued");
    assert_eq!(drain(&outbox).uploaded, 1);
    assert_eq!(outbox.receipts().expect("receipts")[0].upload.key_epoch, 2);
}
