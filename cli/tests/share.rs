//! `heirloom share` between two data directories (the owner's device and a family member's),
//! through a real SeaweedFS and the reference enclave on loopback: invite, consent, share,
//! send, manifest, and on the member's device receive into a folder.

use heirloom_tests::seaweed::Seaweed;
use heirloom_tests::LocalEnclave;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn run(dir: &Path, args: &[&str]) -> (bool, Value) {
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
    (doc["ok"] == true, doc)
}

fn ok(dir: &Path, args: &[&str]) -> Value {
    let (fine, doc) = run(dir, args);
    assert!(fine, "{args:?}: {doc}");
    doc["data"].clone()
}

#[test]
fn a_memory_shared_from_one_device_is_received_on_a_members_device() {
    let weed = Seaweed::start();
    let enclave = LocalEnclave::start(&weed, None);
    let key = enclave.server().enclave.keys.signing().verifying_key().to_string();
    let url = enclave.url();
    let owner = tempfile::tempdir().expect("owner");
    let member = tempfile::tempdir().expect("member");
    let (o, m) = (owner.path(), member.path());
    ok(o, &["init"]);
    ok(m, &["init"]);

    let memory =
        ok(o, &["add", "--title", "Sunday lunch", "--text", "Nonna made ragù for twelve."]);
    let id = memory["memory"]["id"].as_i64().expect("id").to_string();
    let photo = o.join("table.png");
    image::RgbImage::from_fn(200, 150, |x, y| image::Rgb([x as u8, y as u8, 40]))
        .save(&photo)
        .expect("png");
    ok(o, &["photo", "add", &id, photo.to_str().expect("path")]);

    // No member yet, no consent yet: refused.
    ok(o, &["consent", "give", &id, "--purpose", "family"]);
    let (fine, doc) = run(o, &["share", "add", &id]);
    assert!(!fine && doc["error"]["kind"] == "invalid_input", "{doc}");
    let invite = ok(m, &["family", "invite", "--name", "Luca", "--role", "family"]);
    let code = invite["invite"].as_str().expect("invite").to_owned();
    ok(o, &["family", "add", &code]);
    let item = ok(o, &["share", "add", &id])["id"].as_i64().expect("item").to_string();
    let sent = ok(o, &["outbox", "run", "--enclave", &url, "--enclave-key", &key]);
    assert_eq!(sent["uploaded"], 1, "{sent}");
    let manifest = ok(o, &["share", "manifest", &item, "--enclave", &url, "--enclave-key", &key]);
    let manifest_file = m.join("manifest.json");
    std::fs::write(&manifest_file, manifest.to_string()).expect("manifest");
    let sharer = ok(o, &["identity", "show"])["verifying_key"].as_str().expect("key").to_owned();

    let into = m.join("from-nonna");
    let receive = |sharer: &str| {
        let (manifest, into) =
            (manifest_file.to_str().expect("path"), into.to_str().expect("path"));
        run(
            m,
            &[
                "share",
                "receive",
                manifest,
                "--owner",
                sharer,
                "--into",
                into,
                "--enclave",
                &url,
                "--enclave-key",
                &key,
            ],
        )
    };
    let (fine, got) = receive(&sharer);
    assert!(fine, "{got}");
    let got = &got["data"];
    assert_eq!(got["payload"], "memory");
    let json = std::fs::read_to_string(into.join("memory.json")).expect("memory.json");
    assert!(json.contains("Nonna made ragù for twelve."), "the transcript arrived");
    let jpeg = std::fs::read(into.join("photo-1.jpg")).expect("photo");
    assert!(jpeg.starts_with(&[0xFF, 0xD8]), "a JPEG clean copy");

    // A wrong sharer key is refused.
    let (fine, doc) = receive(&key);
    assert!(!fine, "{doc}");
}
