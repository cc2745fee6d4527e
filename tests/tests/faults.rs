//! A bad network between the phone and the store: a proxy drops connections mid-part, answers
//! 500 and 503, stalls past the timeout, truncates answers and loses answers to requests the
//! store applied. Over at least 1,000 injected faults in one run: nothing is lost (every item is
//! acknowledged, and the enclave decrypted exactly what was exported), nothing is duplicated
//! (one object per upload, no strays). Three 12 MiB films go up in 5 MiB parts (S3's minimum)
//! and resume part by part; then short recordings, one part each, until the proxy has injected
//! enough faults.

use heirloom_core::consent::{self, ConsentRequest, GivenBy, Giver, Policy, Purpose, Subject};
use heirloom_core::graph::MemoryGraph;
use heirloom_core::keystore::FileKeyStore;
use heirloom_core::outbox::{self, CancelFlag, ItemState, Outbox, OutboxConfig, Quiet};
use heirloom_core::seal::OwnerKeys;
use heirloom_tests::faults::FaultProxy;
use heirloom_tests::seaweed::Seaweed;
use heirloom_tests::LocalEnclave;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

const FAULTS_WANTED: u64 = 1_000;

#[test]
fn a_thousand_faults_lose_nothing_and_duplicate_nothing() {
    let weed = Seaweed::start();
    let upstream = format!("127.0.0.1:{}", weed.s3_port).parse().expect("address");
    let proxy = FaultProxy::start(upstream, 0.7, Duration::from_millis(1_500), 0x5eed_f417);
    let enclave = LocalEnclave::start(&weed, Some(proxy.url()));

    let dir = tempfile::tempdir().expect("tempdir");
    let keys = FileKeyStore::new(dir.path().join("keys"));
    let graph = MemoryGraph::open(&dir.path().join("data"), &keys).expect("graph");
    let owner = OwnerKeys::load_or_create(&keys).expect("owner");
    let giver = Giver {
        signer: owner.signing(),
        principal: owner.public().verifying_key,
        given_by: GivenBy::Owner,
    };
    let policy = Policy {
        jurisdiction: "GB".into(),
        controller: "Heirloom".into(),
        contact: "privacy@heirloom.example".into(),
        policy_url: "https://heirloom.example/privacy".into(),
        policy_version: "1".into(),
        language: "en".into(),
    };
    let mut config = OutboxConfig::new(
        enclave.url(),
        vec![enclave.server().enclave.keys.signing().verifying_key()],
    );
    config.part_bytes = outbox::MIN_PART_BYTES;
    config.request_timeout = Duration::from_secs(1);
    config.backoff_base = Duration::from_millis(5);
    config.backoff_cap = Duration::from_millis(40);
    let outbox = Outbox::new(&graph, config).expect("outbox");

    let give_and_queue = |subject: Subject| {
        let now = heirloom_core::clock::now_ms();
        let request =
            ConsentRequest { subject, purpose: Purpose::EncryptedBackup, expires_at_ms: None };
        consent::give(&graph, &giver, &request, &policy, now).expect("consent");
        outbox.enqueue(subject, Purpose::EncryptedBackup, now).expect("queued");
    };
    let drain = |outbox: &Outbox<'_>| {
        let report = outbox
            .run_until_idle(&Quiet, &CancelFlag::new(), Instant::now() + Duration::from_secs(600))
            .expect("run");
        let errors: Vec<_> =
            outbox.items().expect("items").into_iter().filter_map(|i| i.last_error).collect();
        assert_eq!(report.failed, 0, "{report:?} {errors:?} {}", proxy.counts.summary());
        assert_eq!(report.next_due_ms, None, "work left after the run: {report:?}");
    };
    let started = Instant::now();
    let mut memories = Vec::new();
    // Three films of 12 MiB: three 5 MiB parts each, resumed part by part through the faults.
    let film_memory =
        graph.add_text_memory("films", "three summers on film", None).expect("memory").memory.id;
    for n in 0..3u8 {
        let path = dir.path().join(format!("film{n}.mp4"));
        let bytes: Vec<u8> = (0..12 * 1024 * 1024u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 ^ n)
            .collect();
        std::fs::write(&path, heirloom_tests::mp4_with(&bytes)).expect("film");
        let media = graph
            .import_media_file(film_memory, &path, heirloom_core::graph::MediaKind::Video)
            .expect("media");
        give_and_queue(Subject::Media(media.id));
    }
    drain(&outbox);
    // Then batches of short recorded memories (one part each) until enough faults were injected.
    while proxy.counts.faults() < FAULTS_WANTED {
        assert!(
            started.elapsed() < Duration::from_secs(900),
            "too slow: {}",
            proxy.counts.summary()
        );
        for _ in 0..25 {
            let n = memories.len();
            let path = dir.path().join(format!("m{n}.wav"));
            heirloom_tests::tone_wav(&path, 1, 200.0 + n as f32 * 7.0);
            let (memory, _) = graph.import_audio(&path, &format!("memory {n}")).expect("import");
            give_and_queue(Subject::Memory(memory.id));
            memories.push(memory.id);
        }
        drain(&outbox);
    }
    eprintln!(
        "faults: {} ({}) over 3 films and {} memories in {:?}",
        proxy.counts.faults(),
        proxy.counts.summary(),
        memories.len(),
        started.elapsed()
    );
    assert!(proxy.counts.faults() >= FAULTS_WANTED);

    // Nothing lost: every item acknowledged, and the enclave opened exactly what was exported.
    let items = outbox.items().expect("items");
    assert_eq!(items.len(), memories.len() + 3);
    assert!(items.iter().all(|i| i.state == ItemState::Uploaded), "not all uploaded");
    let receipts = outbox.receipts().expect("receipts verify");
    assert_eq!(receipts.len(), memories.len() + 3);
    for held in &receipts {
        let export = match held.subject {
            Subject::Memory(id) => outbox::export_memory(&graph, id, Vec::new()),
            Subject::Media(id) => outbox::export_media(&graph, id, Vec::new()),
            Subject::Training => panic!("no model update was queued"),
        }
        .expect("export");
        let id = held.item_id;
        let want: String = Sha256::digest(&export).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(held.upload.plaintext_sha256, Some(want), "item {id} arrived changed");
    }
    // Nothing duplicated: one object per upload, named by its upload id, nothing else.
    let objects: BTreeSet<String> = enclave.objects("uploads").into_iter().collect();
    let expected: BTreeSet<String> =
        items.iter().map(|i| format!("uploads/{}.age", i.upload_id)).collect();
    assert_eq!(objects, expected);
}
