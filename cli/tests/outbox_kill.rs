//! `heirloom outbox run` killed (SIGKILL) at random moments, again and again, while it seals and
//! uploads three recorded memories and a 16 MiB film in four parts; then run to the end. The state must be right after every
//! kill: in the end every item is uploaded once, the store holds exactly one object per upload,
//! the enclave opened exactly what was exported, and no scratch file is left behind.

use heirloom_core::consent::Subject;
use heirloom_core::graph::MemoryGraph;
use heirloom_core::keystore::FileKeyStore;
use heirloom_core::outbox::{self, ItemState};
use heirloom_tests::seaweed::Seaweed;
use heirloom_tests::LocalEnclave;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn heirloom(dir: &Path, args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_heirloom"))
        .arg("--json")
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--key-file")
        .arg(dir.join("keys"))
        .args(args)
        .output()
        .expect("run heirloom");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["ok"], true, "{args:?}: {doc}");
    doc["data"].clone()
}

#[test]
fn killed_at_any_point_the_outbox_finishes_right() {
    let weed = Seaweed::start();
    let enclave = LocalEnclave::start(&weed, None);
    let key = enclave.server().enclave.keys.signing().verifying_key().to_string();
    let url = enclave.url();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut memories = Vec::new();
    for n in 0..3 {
        let path = dir.path().join(format!("m{n}.wav"));
        heirloom_tests::tone_wav(&path, 10, 300.0 + n as f32 * 50.0);
        let path = path.to_string_lossy().into_owned();
        let id = heirloom(dir.path(), &["import", &path, "--title", "a memory", "--no-transcribe"])
            ["memory"]["id"]
            .as_i64()
            .expect("id");
        heirloom(dir.path(), &["consent", "give", &id.to_string(), "--purpose", "backup"]);
        heirloom(dir.path(), &["outbox", "add", &id.to_string(), "--purpose", "backup"]);
        memories.push(id);
    }
    // A 16 MiB film: four parts (5 MiB, S3's minimum, and the rest), so kills land between parts.
    let film = dir.path().join("film.mp4");
    let bytes: Vec<u8> =
        (0..16 * 1024 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8).collect();
    std::fs::write(&film, heirloom_tests::mp4_with(&bytes)).expect("film");
    let film = film.to_string_lossy().into_owned();
    let media = heirloom(
        dir.path(),
        &["media", "attach", &memories[0].to_string(), &film, "--kind", "video"],
    )["id"]
        .as_i64()
        .expect("media id");
    heirloom(dir.path(), &["consent", "give", &format!("media:{media}"), "--purpose", "backup"]);
    heirloom(dir.path(), &["outbox", "add", &format!("media:{media}"), "--purpose", "backup"]);

    let run = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_heirloom"));
        command
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .arg("--key-file")
            .arg(dir.path().join("keys"))
            .args([
                "outbox",
                "run",
                "--part-kib",
                "5120",
                "--timeout",
                "120",
                "--enclave",
                &url,
                "--enclave-key",
                &key,
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        command
    };
    // Kill after 10–260 ms (a spread of points: sealing, between parts, mid-part, completing);
    // once everything is up, later runs finish before the kill.
    let mut state = 0x9e37_79b9u64;
    let mut kills = 0;
    for _ in 0..30 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut child = run().spawn().expect("spawn");
        std::thread::sleep(Duration::from_millis(10 + state % 250));
        if child.try_wait().expect("wait").is_none() {
            child.kill().expect("SIGKILL");
            kills += 1;
        }
        let _ = child.wait();
    }
    assert!(kills >= 5, "only {kills} runs were killed before finishing");
    // Killed runs still got somewhere, and what they did survived.
    let status = heirloom(dir.path(), &["outbox", "status"]);
    let progressed = status["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["state"] != "queued")
        .count();
    assert!(progressed >= 1, "no progress across {kills} killed runs: {status}");
    let status = run().status().expect("final run");
    assert!(status.success());

    let data = dir.path().join("data");
    let graph =
        MemoryGraph::open(&data, &FileKeyStore::new(dir.path().join("keys"))).expect("open");
    let items = outbox::items(&graph).expect("items");
    assert_eq!(items.len(), 4);
    assert!(items.iter().all(|i| i.state == ItemState::Uploaded), "{items:?}");
    let objects: BTreeSet<String> = enclave.objects("uploads").into_iter().collect();
    let expected: BTreeSet<String> =
        items.iter().map(|i| format!("uploads/{}.age", i.upload_id)).collect();
    assert_eq!(objects, expected, "one object per upload, nothing else");
    let config =
        heirloom_core::outbox::OutboxConfig::new(url.clone(), vec![key.parse().expect("key")]);
    let receipts =
        outbox::Outbox::new(&graph, config).expect("outbox").receipts().expect("receipts verify");
    assert_eq!(receipts.len(), 4);
    for held in &receipts {
        let export = match held.subject {
            Subject::Memory(id) => outbox::export_memory(&graph, id, Vec::new()),
            Subject::Media(id) => outbox::export_media(&graph, id, Vec::new()),
            Subject::Training => panic!("no model update was queued"),
        }
        .expect("export");
        let want: String = Sha256::digest(&export).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(held.upload.plaintext_sha256, Some(want));
    }
    let left: Vec<_> = std::fs::read_dir(data.join(outbox::OUTBOX_DIR))
        .map(|d| d.filter_map(Result::ok).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind: {left:?}");
    eprintln!("{kills} kills, then finished");
}
