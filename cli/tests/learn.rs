//! `heirloom learn …` against a real SeaweedFS and the reference enclave on loopback: a
//! simulated federation of 20 label-skewed phones (MiniLM embeddings of the labelled set) whose
//! held-out accuracy improves over rounds, next to central training; then an owner's own store
//! joins the open round under consent, and its ledger holds the enclave's signed receipt.

use heirloom_tests::seaweed::Seaweed;
use heirloom_tests::{LocalEnclave, ADMIN_TOKEN};
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
        .env("HEIRLOOM_ENCLAVE_ADMIN_TOKEN", ADMIN_TOKEN)
        .output()
        .expect("run heirloom");
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{args:?}: {}", String::from_utf8_lossy(&out.stderr)));
    (doc["ok"] == true, doc)
}

/// SeaweedFS and the reference enclave on loopback, and a home folder for the CLI.
struct Cloud {
    // Fields drop in order: the enclave before the store it uses.
    _enclave: LocalEnclave,
    _weed: Seaweed,
    home: tempfile::TempDir,
    url: String,
    key: String,
}

impl Cloud {
    fn start() -> Self {
        let weed = Seaweed::start();
        let enclave = LocalEnclave::start(&weed, None);
        let key = enclave.server().enclave.keys.signing().verifying_key().to_string();
        let url = enclave.url();
        Self { _enclave: enclave, _weed: weed, home: tempfile::tempdir().expect("home"), url, key }
    }

    /// `--enclave URL --enclave-key KEY`.
    fn enclave_args(&self) -> [&str; 4] {
        ["--enclave", self.url.as_str(), "--enclave-key", self.key.as_str()]
    }
}

fn ok(dir: &Path, args: &[&str]) -> Value {
    let (fine, doc) = run(dir, args);
    assert!(fine, "{args:?}: {doc}");
    doc["data"].clone()
}

#[test]
fn a_simulated_federation_learns_and_an_owner_joins_with_consent() {
    let cloud = Cloud::start();
    let d = cloud.home.path();
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/emotion_set.tsv");
    let e = cloud.enclave_args();

    let plot = d.join("curves.png");
    let plot_arg = plot.to_str().expect("path");
    let sim = ok(
        d,
        &[
            &["learn", "simulate", "--data", data, "--clients", "20", "--rounds", "5"][..],
            &["--per-client", "24", "--test-limit", "96", "--skew", "0.5"],
            &["--noise-multiplier", "0.3", "--clip-norm", "1", "--plot", plot_arg],
            &e,
        ]
        .concat(),
    );
    // The plot: both curves drawn (the federated one in its blue, the central one in grey).
    let png = image::open(&plot).expect("a PNG").to_rgb8();
    assert_eq!(png.width(), 960);
    let count = |c: [u8; 3]| png.pixels().filter(|p| p.0 == c).count();
    assert!(count([31, 100, 200]) > 500 && count([120, 120, 120]) > 500, "curves drawn");
    // The device's tagger is the last model with a temperature fitted on a client's examples.
    let t = sim["extraction"]["temperature"].as_f64().expect("temperature");
    assert!((0.05..=5.0).contains(&t), "{t}");
    let calibrated = &sim["extraction"]["rules_with_calibrated_federated_tagger"];
    assert!(
        calibrated["recall"].as_f64().expect("recall")
            >= sim["extraction"]["rules"]["recall"].as_f64().expect("recall")
    );
    let rounds = sim["rounds"].as_array().expect("rounds");
    assert_eq!(rounds.len(), 5, "{sim}");
    let acc = |r: &Value, k: &str| r[k].as_f64().expect("accuracy");
    let federated = |i: usize| acc(&rounds[i], "federated_accuracy");
    let (first, last) = ((federated(0) + federated(1)) / 2.0, (federated(3) + federated(4)) / 2.0);
    let central = acc(&rounds[4], "centralised_accuracy");
    eprintln!(
        "federated {:?}",
        rounds.iter().map(|r| acc(r, "federated_accuracy")).collect::<Vec<_>>()
    );
    eprintln!(
        "central {:?}",
        rounds.iter().map(|r| acc(r, "centralised_accuracy")).collect::<Vec<_>>()
    );
    for r in rounds {
        assert_eq!(r["clients"], 20);
        assert!(r["update_bytes"].as_u64().expect("bytes") > 384 * 10 * 4);
    }
    // Eight emotions: chance is 1/8. The federation learns (the noise makes single rounds
    // wobble, so the first two rounds' mean is compared with the last two's); central training
    // is the bar.
    assert!(last > 0.25 && last > first, "federated {first} → {last}");
    assert!(central > last && central > 0.8, "central {central}, federated {last}");

    // An owner's own store: no consent, no round joined; then with consent it joins round 6.
    ok(d, &["init"]);
    let story = "I was so happy at the summer fair.\nWe laughed all evening at the dance hall.\n\
                 I cried at my mother's funeral.\nI was heartbroken when the dog died.\n\
                 I was proud when my son graduated.\nIt was my proudest moment at the works.";
    let memory = ok(d, &["add", "--title", "Feelings", "--text", story]);
    let emotions: Vec<&Value> = memory["entities"]
        .as_array()
        .expect("entities")
        .iter()
        .filter(|e| e["kind"] == "emotion")
        .map(|e| &e["id"])
        .collect();
    let mut confirmed = 0;
    for mention in memory["mentions"].as_array().expect("mentions") {
        if emotions.contains(&&mention["entity_id"]) {
            ok(d, &["facts", "confirm", &mention["id"].to_string()]);
            confirmed += 1;
        }
    }
    assert!(confirmed >= 5, "{memory}");
    let join = [&["learn", "join", "--charging", "--idle"][..], &e].concat();
    let (fine, doc) = run(d, &join);
    assert!(!fine && doc["error"]["kind"] == "consent_required", "{doc}");
    ok(d, &["consent", "give", "training", "--purpose", "ai_training"]);
    let (fine, doc) = run(d, &[&["learn", "join"][..], &e].concat());
    assert!(!fine && doc["error"]["kind"] == "not_now", "not charging: {doc}");
    // One round at σ = 0.3 costs ε ≈ 20.4: more than the default budget (ε = 8).
    let (fine, doc) = run(d, &join);
    assert!(!fine && doc["error"]["kind"] == "budget_exceeded", "{doc}");
    ok(d, &["learn", "budget", "--epsilon", "25"]);
    let joined = ok(d, &join);
    assert_eq!(
        (joined["state"].as_str(), joined["round"].as_u64()),
        (Some("queued"), Some(6)),
        "{joined}"
    );
    assert_eq!(joined["sent"]["uploaded"], 1, "{joined}");
    assert_eq!(ok(d, &join)["state"], "already_joined");
    let ledger = ok(d, &["learn", "ledger"]);
    let entry = &ledger[0];
    assert_eq!(entry["state"], "uploaded");
    assert_eq!(entry["receipt"]["contribution"]["round"], 6, "{entry}");
    assert_eq!(entry["receipt"]["contribution"]["update_sha256"], entry["update_sha256"]);
    let status = ok(d, &["learn", "status"]);
    assert_eq!(
        (status["consent"].as_bool(), status["rounds"].as_u64()),
        (Some(true), Some(1)),
        "{status}"
    );
    assert!(status["spent_epsilon"].as_f64().expect("ε") > 20.0, "{status}");
    // The noise was split over the 20 clients: the update alone would reveal more.
    assert!(entry["epsilon_update"].as_f64() > entry["epsilon_round"].as_f64(), "{entry}");
}

#[test]
fn a_malformed_labelled_set_is_a_typed_error_naming_only_the_line() {
    let home = tempfile::tempdir().expect("home");
    let d = home.path();
    for (body, why) in [
        ("train\tjoy\n", "a missing field"),
        ("train\tbliss\tMy secret sentence about Rosa.\n", "an unknown label"),
    ] {
        let file = d.join("set.tsv");
        std::fs::write(&file, body).expect("write");
        let args = ["learn", "simulate", "--data", file.to_str().expect("path")];
        let (fine, doc) = run(d, &args);
        assert!(!fine && doc["error"]["kind"] == "input", "{why}: {doc}");
        let message = doc["error"]["message"].as_str().expect("message");
        assert!(message.contains("line 1") && !message.contains("Rosa"), "{why}: {message}");
    }
    let (fine, doc) = run(d, &["learn", "simulate", "--data", "/nonexistent/set.tsv"]);
    assert!(!fine && doc["error"]["kind"] == "input", "{doc}");
    // Emotions are not topics: the emotion set under `--task topic` names its first line.
    let emotions = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/emotion_set.tsv");
    let (fine, doc) = run(d, &["learn", "simulate", "--data", emotions, "--task", "topic"]);
    let message = doc["error"]["message"].as_str().unwrap_or_default().to_owned();
    assert!(!fine && message.contains("line 1"), "{doc}");
    let (fine, doc) = run(d, &["learn", "simulate", "--data", emotions, "--task", "mood"]);
    assert!(!fine && doc["error"]["kind"] == "input", "{doc}");
    let nowhere = ["--plot", "/nonexistent/folder/curves.png"];
    let (fine, doc) = run(d, &[&["learn", "simulate", "--data", emotions][..], &nowhere].concat());
    assert!(!fine && doc["error"]["kind"] == "input", "an unwritable plot fails first: {doc}");
}

#[test]
fn a_simulated_federation_learns_topics_too() {
    let cloud = Cloud::start();
    let d = cloud.home.path();
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/topic_set.tsv");
    let sim = ok(
        d,
        &[
            "learn",
            "simulate",
            "--task",
            "topic",
            "--data",
            data,
            "--clients",
            "20",
            "--rounds",
            "4",
            "--per-client",
            "16",
            "--test-limit",
            "96",
            "--skew",
            "0.5",
            "--noise-multiplier",
            "0.3",
        ]
        .iter()
        .copied()
        .chain(cloud.enclave_args())
        .collect::<Vec<_>>(),
    );
    assert_eq!(sim["task"], "topic-tagger");
    let rounds = sim["rounds"].as_array().expect("rounds");
    let federated: Vec<f64> =
        rounds.iter().map(|r| r["federated_accuracy"].as_f64().expect("accuracy")).collect();
    eprintln!("topics, federated {federated:?}");
    // Eight life events: chance is 1/8.
    assert!(federated[3] > 0.25 && federated[3] > federated[0], "{federated:?}");
    let rules = &sim["extraction"]["rules"];
    assert!(rules["hits"].as_u64().expect("hits") > 0, "the rules find some events: {rules}");
}
