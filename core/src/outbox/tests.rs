//! The outbox without a network: consent gating, revocation, backoff, pause, the export. The
//! whole journey against the reference enclave and SeaweedFS is in `tests/tests/upload.rs`.

use super::*;
use crate::consent::{ConsentRequest, GivenBy, Giver, Policy};
use crate::keystore::FileKeyStore;
use crate::seal::OwnerKeys;

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
    let owner = OwnerKeys::load_or_create(&keys).expect("owner");
    let memory = graph
        .add_text_memory("the lake", "we swam every morning\nthe water was cold", None)
        .expect("add")
        .memory
        .id;
    Fixture { _dir: dir, graph, owner, memory }
}

fn policy() -> Policy {
    Policy {
        jurisdiction: "GB".into(),
        controller: "Heirloom".into(),
        contact: "privacy@heirloom.example".into(),
        policy_url: "https://heirloom.example/privacy".into(),
        policy_version: "1".into(),
        language: "en".into(),
    }
}

fn giver(f: &Fixture) -> Giver<'_> {
    Giver {
        signer: f.owner.signing(),
        principal: f.owner.public().verifying_key,
        given_by: GivenBy::Owner,
    }
}

fn grant(f: &Fixture, purpose: Purpose) {
    let request =
        ConsentRequest { subject: Subject::Memory(f.memory), purpose, expires_at_ms: None };
    consent::give(&f.graph, &giver(f), &request, &policy(), crate::clock::now_ms())
        .expect("consent");
}

/// An enclave URL where nothing listens.
fn nowhere() -> OutboxConfig {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(9);
    let mut config = OutboxConfig::new(format!("http://127.0.0.1:{port}"), vec![]);
    config.request_timeout = Duration::from_secs(2);
    config.backoff_base = Duration::from_millis(200);
    config.backoff_cap = Duration::from_secs(10);
    config
}

#[test]
fn nothing_is_queued_without_a_live_consent_for_that_purpose() {
    let f = fixture();
    let now = crate::clock::now_ms();
    assert!(matches!(
        enqueue(&f.graph, Subject::Memory(f.memory), Purpose::EncryptedBackup, now),
        Err(OutboxError::ConsentRequired { purpose: Purpose::EncryptedBackup })
    ));
    grant(&f, Purpose::Research);
    // Research consent does not let a backup through.
    assert!(enqueue(&f.graph, Subject::Memory(f.memory), Purpose::EncryptedBackup, now).is_err());
    let item =
        enqueue(&f.graph, Subject::Memory(f.memory), Purpose::Research, now).expect("queued");
    assert_eq!(item.state, ItemState::Queued);
    let again =
        enqueue(&f.graph, Subject::Memory(f.memory), Purpose::Research, now).expect("queued");
    assert_eq!(again.id, item.id, "the same waiting item, not a second one");
}

#[test]
fn revoking_before_anything_was_sent_cancels_without_an_erasure() {
    let f = fixture();
    grant(&f, Purpose::EncryptedBackup);
    let now = crate::clock::now_ms();
    let item = enqueue(&f.graph, Subject::Memory(f.memory), Purpose::EncryptedBackup, now)
        .expect("queued");
    consent::revoke(
        &f.graph,
        &giver(&f),
        Subject::Memory(f.memory),
        Purpose::EncryptedBackup,
        &policy(),
        now + 1,
    )
    .expect("revoke");
    let after = store::item(&f.graph, item.id).expect("item");
    assert_eq!(after.state, ItemState::Cancelled);
    assert!(store::due_erasures(&f.graph, i64::MAX).expect("erasures").is_empty());
}

#[test]
fn an_unreachable_enclave_backs_off_and_keeps_the_item() {
    let f = fixture();
    grant(&f, Purpose::EncryptedBackup);
    let outbox = Outbox::new(&f.graph, nowhere()).expect("outbox");
    let item = outbox
        .enqueue(Subject::Memory(f.memory), Purpose::EncryptedBackup, crate::clock::now_ms())
        .expect("queued");
    let mut delays = Vec::new();
    for _ in 0..4 {
        let before = crate::clock::now_ms();
        let now = store::item(&f.graph, item.id).expect("item").next_attempt_at_ms.max(before);
        let report = outbox.run_once(&Quiet, &CancelFlag::new(), now).expect("pass");
        assert_eq!((report.uploaded, report.retrying), (0, 1));
        let after = store::item(&f.graph, item.id).expect("item");
        assert_eq!(after.state, ItemState::Queued);
        assert_eq!(after.last_error.as_deref(), Some("connect"));
        // Retry times are set from the real clock, `before` the pass began.
        delays.push(after.next_attempt_at_ms - before);
        // Not due yet: a pass right away does nothing.
        let idle = outbox.run_once(&Quiet, &CancelFlag::new(), now).expect("pass");
        assert_eq!(idle.retrying, 0);
    }
    // 200 ms doubling, half of it random: [100,200], [200,400], [400,800], [800,1600].
    for (i, d) in delays.iter().enumerate() {
        let full = 200i64 << i;
        assert!((full / 2 - 50..=full + 50).contains(d), "attempt {i}: {d} ms");
    }
    // Sealing needs the enclave's key: nothing was sealed to anyone.
    let sealed = std::fs::read_dir(f.graph.data_dir().join(OUTBOX_DIR))
        .map(|d| d.filter_map(Result::ok).count())
        .unwrap_or(0);
    assert_eq!(sealed, 0);
}

#[test]
fn pausing_holds_everything_and_survives_a_restart() {
    let f = fixture();
    grant(&f, Purpose::EncryptedBackup);
    {
        let outbox = Outbox::new(&f.graph, nowhere()).expect("outbox");
        outbox
            .enqueue(Subject::Memory(f.memory), Purpose::EncryptedBackup, crate::clock::now_ms())
            .expect("queued");
        outbox.set_paused(true).expect("pause");
    }
    let outbox = Outbox::new(&f.graph, nowhere()).expect("outbox again");
    assert!(outbox.is_paused().expect("paused"));
    let report = outbox.run_once(&Quiet, &CancelFlag::new(), crate::clock::now_ms()).expect("pass");
    assert!(report.paused);
    assert_eq!(outbox.items().expect("items")[0].attempts, 0, "nothing was tried while paused");
    outbox.set_paused(false).expect("resume");
    let report = outbox.run_once(&Quiet, &CancelFlag::new(), crate::clock::now_ms()).expect("pass");
    assert!(!report.paused);
    assert_eq!(outbox.items().expect("items")[0].attempts, 1);
}

#[test]
fn the_export_holds_the_memory_and_nothing_else() {
    let f = fixture();
    let bytes = export_memory(&f.graph, f.memory, Vec::new()).expect("export");
    let mut archive = tar::Archive::new(&bytes[..]);
    let mut names = Vec::new();
    let mut json = String::new();
    for entry in archive.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let name = entry.path().expect("path").to_string_lossy().into_owned();
        if name == "memory.json" {
            std::io::Read::read_to_string(&mut entry, &mut json).expect("read");
        }
        names.push(name);
    }
    assert_eq!(names, ["memory.json"]);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(doc["format"], EXPORT_FORMAT);
    assert_eq!(doc["memory"]["title"], "the lake");
    assert_eq!(doc["segments"].as_array().map(Vec::len), Some(2));
}
