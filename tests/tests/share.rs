//! Family sharing across two devices (two data directories), with real parts: the owner adds a
//! member from their invite, consents to share a memory (voice, transcript, a photo), and the
//! outbox seals it once to the circle and uploads it to a real SeaweedFS through the reference
//! enclave, which can check its hash but not open it. The owner's signed manifest lets the
//! member's device fetch it through a short-lived URL, verify it and open it with the member's
//! own key. A stranger, a removed member and a revoked share all fail.

use heirloom_core::consent::{self, ConsentRequest, GivenBy, Giver, Policy, Purpose, Subject};
use heirloom_core::family::{self, FamilyRole, Invite};
use heirloom_core::graph::MemoryGraph;
use heirloom_core::keystore::FileKeyStore;
use heirloom_core::outbox::{
    self, CancelFlag, ItemState, Outbox, OutboxConfig, Quiet, ReceiveConfig,
};
use heirloom_core::seal::{OwnerKeys, VerifyingKey};
use heirloom_tests::seaweed::Seaweed;
use heirloom_tests::LocalEnclave;
use std::time::{Duration, Instant};

struct Device {
    dir: tempfile::TempDir,
    graph: MemoryGraph,
    owner: OwnerKeys,
}

fn device() -> Device {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = FileKeyStore::new(dir.path().join("keys"));
    let graph = MemoryGraph::open(&dir.path().join("data"), &keys).expect("graph");
    let owner = OwnerKeys::load_or_create(&keys).expect("owner keys");
    Device { dir, graph, owner }
}

/// A narrated memory with a transcript and a photo.
fn memory(d: &Device) -> i64 {
    let wav = d.dir.path().join("voice.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&wav, spec).expect("wav");
    for i in 0..16_000 * 2 {
        let s = (i as f32 * 330.0 * std::f32::consts::TAU / 16_000.0).sin();
        w.write_sample((s * 8_000.0) as i16).expect("sample");
    }
    w.finalize().expect("wav done");
    let (memory, recording) = d.graph.import_audio(&wav, "Granny's orchard").expect("import");
    let segment = heirloom_core::graph::NewSegment {
        start_ms: 0,
        end_ms: 2_000,
        text: "Granny Mae planted the pear trees in 1952.".into(),
        confidence: 0.9,
    };
    d.graph.add_segments(memory.id, Some(recording.id), &[segment]).expect("segments");
    let photo = d.dir.path().join("orchard.png");
    image::RgbImage::from_fn(320, 240, |x, y| image::Rgb([x as u8, y as u8, 120]))
        .save(&photo)
        .expect("png");
    d.graph.import_photo(memory.id, &photo).expect("photo");
    memory.id
}

fn policy() -> Policy {
    heirloom_tests::policy()
}

fn giver(d: &Device) -> Giver<'_> {
    Giver {
        signer: d.owner.signing(),
        principal: d.owner.public().verifying_key,
        given_by: GivenBy::Owner,
    }
}

fn pinned(enclave: &LocalEnclave) -> Vec<VerifyingKey> {
    vec![enclave.server().enclave.keys.signing().verifying_key()]
}

fn receive_config(enclave: &LocalEnclave) -> ReceiveConfig {
    ReceiveConfig {
        enclave_url: enclave.url(),
        pinned_signers: pinned(enclave),
        request_timeout: Duration::from_secs(10),
        tls_roots: outbox::TlsRoots::Platform,
    }
}

#[test]
fn a_memory_shared_with_the_family_opens_on_a_members_device_only() {
    let weed = Seaweed::start();
    let enclave = LocalEnclave::start(&weed, None);
    let owner = device();
    let member = device();
    let stranger = device();
    let m = memory(&owner);
    let subject = Subject::Memory(m);
    let now = heirloom_core::clock::now_ms();

    // The member's phone shows an invite; the owner adds it.
    let invite =
        Invite::for_owner(&member.owner.public(), "Anna", FamilyRole::Family).expect("invite");
    family::add_member(&owner.graph, &invite).expect("added");

    // Sharing needs the family consent, and goes only through `share` (never to the enclave).
    assert!(matches!(
        outbox::share(&owner.graph, &owner.owner.public(), subject, now),
        Err(outbox::OutboxError::ConsentRequired { .. })
    ));
    let request =
        ConsentRequest { subject, purpose: Purpose::ShareWithFamily, expires_at_ms: None };
    consent::give(&owner.graph, &giver(&owner), &request, &policy(), now).expect("consent");
    assert!(matches!(
        outbox::enqueue(&owner.graph, subject, Purpose::ShareWithFamily, now),
        Err(outbox::OutboxError::Refused { .. })
    ));
    let item = outbox::share(&owner.graph, &owner.owner.public(), subject, now).expect("queued");
    let mut config = OutboxConfig::new(enclave.url(), pinned(&enclave));
    config.part_bytes = 64 * 1024;
    config.backoff_base = Duration::from_millis(20);
    let outbox = Outbox::new(&owner.graph, config).expect("outbox");
    let report = outbox
        .run_until_idle(&Quiet, &CancelFlag::new(), Instant::now() + Duration::from_secs(60))
        .expect("run");
    assert_eq!((report.uploaded, report.failed), (1, 0), "{report:?}");
    assert_eq!(outbox::items(&owner.graph).expect("items")[0].state, ItemState::Uploaded);

    // The store holds one sealed share; the enclave derived nothing and its receipt has no
    // plaintext hash: it could not open it.
    let held = outbox.receipts().expect("receipts").remove(0);
    assert_eq!(held.upload.upload_id, item.upload_id);
    assert_eq!(held.upload.plaintext_sha256, None);
    assert_eq!(enclave.objects("shares"), vec![held.upload.object_key.clone()]);
    assert!(enclave.objects("uploads").is_empty());
    let mut reader = enclave
        .block_on(enclave.server().enclave.objects.reader(&held.upload.object_key))
        .expect("get");
    let mut stored = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut stored).expect("read object");
    assert!(stored.starts_with(b"age-encryption.org/v1\n"));
    let stanzas = stored.windows(9).filter(|w| w == b"-> X25519").count();
    assert_eq!(stanzas, 2, "sealed once, to the owner and the one member");
    for secret in [&b"Granny"[..], b"orchard", b"pear trees"] {
        assert!(!stored.windows(secret.len()).any(|w| w == secret), "content in the store");
    }
    let enclave_key = enclave.server().enclave.keys.upload_identity(1);
    assert!(
        heirloom_core::seal::open(&[enclave_key], &stored[..], std::io::sink()).is_err(),
        "the enclave's key does not open a share"
    );

    // The owner's signed manifest travels to the member (any channel).
    let manifest =
        outbox::share_manifest(&owner.graph, &owner.owner, &pinned(&enclave), item.id).expect("m");
    let text = manifest.to_string();
    assert!(
        !text.contains("Granny") && !text.contains(&member.owner.public().recipient.to_string())
    );
    let owner_key = owner.owner.public().verifying_key;
    let inbox = member.dir.path().join("received");
    let got = outbox::receive_share(
        &receive_config(&enclave),
        &manifest,
        &owner_key,
        member.owner.identity(),
        &inbox,
    )
    .expect("the member receives the share");
    assert_eq!(got.payload, "memory");
    let names: Vec<&str> = got.entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["memory.json", "recording-1.wav", "photo-1.jpg"], "{names:?}");
    // Opened on the member's device: the transcript and the photo, byte for byte.
    let mut memory_json = Vec::new();
    let mut photo = Vec::new();
    outbox::read_share(member.owner.identity(), &got.path, |name, r| {
        let target = match name {
            "memory.json" => &mut memory_json,
            "photo-1.jpg" => &mut photo,
            _ => return Ok(()),
        };
        std::io::Read::read_to_end(r, target)
            .map(|_| ())
            .map_err(|e| outbox::OutboxError::Io { op: "read", kind: e.kind() })
    })
    .expect("open");
    let doc: serde_json::Value = serde_json::from_slice(&memory_json).expect("json");
    assert_eq!(doc["memory"]["title"], "Granny's orchard");
    let text = String::from_utf8_lossy(&memory_json);
    assert!(text.contains("Granny Mae planted the pear trees in 1952."), "the transcript");
    let clean = owner
        .graph
        .photo_rendition(
            doc["media"][0]["id"].as_i64().expect("id"),
            heirloom_core::graph::Rendition::Clean,
        )
        .expect("clean copy");
    assert_eq!(photo, clean, "the photo's clean copy, no metadata");
    // The member keeps it sealed at rest.
    let kept = std::fs::read(&got.path).expect("kept");
    assert!(!kept.windows(6).any(|w| w == b"Granny"));
    // The kept file damaged (a flipped byte, or cut short) no longer opens: a typed error.
    for damage in ["flip", "cut"] {
        let mut bytes = kept.clone();
        if damage == "flip" {
            let at = bytes.len() - 100;
            bytes[at] ^= 1;
        } else {
            bytes.truncate(bytes.len() / 2);
        }
        let copy = member.dir.path().join(format!("{damage}.age"));
        std::fs::write(&copy, &bytes).expect("copy");
        let opened = outbox::list_entries(member.owner.identity(), &copy);
        assert!(
            matches!(opened, Err(outbox::OutboxError::Io { .. } | outbox::OutboxError::Seal(_))),
            "{damage}: {opened:?}"
        );
    }

    // A stranger with the manifest downloads it but cannot open it; nothing is kept.
    let elsewhere = stranger.dir.path().join("received");
    let err = outbox::receive_share(
        &receive_config(&enclave),
        &manifest,
        &owner_key,
        stranger.owner.identity(),
        &elsewhere,
    );
    assert!(err.is_err(), "a stranger's key does not open it");
    assert!(std::fs::read_dir(&elsewhere).map(|d| d.count()).unwrap_or(0) == 0, "nothing kept");
    // A manifest that claims another owner, or was altered, is refused before any download.
    let forged = outbox::receive_share(
        &receive_config(&enclave),
        &manifest,
        &stranger.owner.public().verifying_key,
        member.owner.identity(),
        &inbox,
    );
    assert!(matches!(forged, Err(outbox::OutboxError::Enclave(_))), "{forged:?}");
    let mut altered = manifest.clone();
    altered["sealed_bytes"] = serde_json::json!(1);
    assert!(outbox::receive_share(
        &receive_config(&enclave),
        &altered,
        &owner_key,
        member.owner.identity(),
        &inbox
    )
    .is_err());

    // Removing the member: the next share is sealed to the owner alone... which is refused
    // (a circle of one shares with nobody).
    let anna = family::members(&owner.graph).expect("members")[0].id;
    family::remove_member(&owner.graph, anna).expect("removed");
    assert!(matches!(
        outbox::share(&owner.graph, &owner.owner.public(), Subject::Memory(m), now),
        Err(outbox::OutboxError::Refused { .. })
    ));

    // Revoking the consent: the enclave erases the share and refuses downloads.
    consent::revoke(
        &owner.graph,
        &giver(&owner),
        subject,
        Purpose::ShareWithFamily,
        &policy(),
        now,
    )
    .expect("revoked");
    outbox
        .run_until_idle(&Quiet, &CancelFlag::new(), Instant::now() + Duration::from_secs(60))
        .expect("erasure");
    assert!(enclave.objects("shares").is_empty(), "erased from the store");
    let again = outbox::receive_share(
        &receive_config(&enclave),
        &manifest,
        &owner_key,
        member.owner.identity(),
        &member.dir.path().join("again"),
    );
    assert!(
        matches!(&again, Err(outbox::OutboxError::Network { status: Some(403 | 410), .. })),
        "{again:?}"
    );
}
