//! `heirloom kiosk …`: one shift on a care-home tablet from the command line — set-up, staff
//! with roles, two residents, recording, refusals by role, proxy consent, a family export that
//! takes only consented memories, a story card, prompt sets, lockout, and the audit log.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn run(dir: &Path, staff: &str, pin: &str, args: &[&str]) -> (Value, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_heirloom"))
        .arg("--json")
        .arg("--data-dir")
        .arg(dir.join("kiosk"))
        .arg("--key-file")
        .arg(dir.join("device.keys"))
        .env("HEIRLOOM_KIOSK_STAFF", staff)
        .env("HEIRLOOM_KIOSK_PIN", pin)
        .env("HEIRLOOM_KIOSK_NEW_PIN", "620481")
        .arg("kiosk")
        .args(args)
        .output()
        .expect("run heirloom");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    (doc, out.status.code().unwrap_or(-1))
}

fn ok(dir: &Path, staff: &str, pin: &str, args: &[&str]) -> Value {
    let (doc, code) = run(dir, staff, pin, args);
    assert!(doc["ok"] == true && code == 0, "{args:?}: {doc}");
    doc["data"].clone()
}

fn refused(dir: &Path, staff: &str, pin: &str, args: &[&str]) -> String {
    let (doc, code) = run(dir, staff, pin, args);
    assert!(doc["ok"] == false && code != 0, "{args:?}: {doc}");
    doc["error"]["kind"].as_str().expect("kind").to_owned()
}

#[test]
fn a_shift_on_the_kiosk_from_the_command_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let admin = ok(d, "", "482913", &["setup", "--name", "Morag Admin"])["staff_id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(refused(d, "", "482913", &["setup", "--name", "Again"]), "invalid_input");
    let a = |args: &[&str]| ok(d, &admin, "482913", args);
    let carer = a(&["staff-add", "--name", "Bea Carer", "--role", "care_worker"])["staff_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let staff = a(&["staff"]);
    assert_eq!(staff.as_array().expect("list").len(), 2);

    let r1 = a(&[
        "resident-add",
        "--name",
        "Arthur Pennington",
        "--preferred",
        "Art",
        "--avoid-topic",
        "the war",
        "--avoid-person",
        "Joan",
    ])["resident_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let r2 = a(&["resident-add", "--name", "Betty Okafor"])["resident_id"]
        .as_str()
        .expect("id")
        .to_owned();

    // The carer records for resident 1 (new PIN "620481" from the environment).
    let c = |args: &[&str]| ok(d, &carer, "620481", args);
    let m1 = c(&[
        "add",
        "--resident",
        &r1,
        "--title",
        "Milk round",
        "--text",
        "Forty years on the milk round in Leeds",
    ])["memory_id"]
        .as_i64()
        .expect("id")
        .to_string();
    c(&[
        "add",
        "--resident",
        &r1,
        "--title",
        "Brass band",
        "--text",
        "Sunday concerts with the colliery band",
    ]);
    // A care worker may not read transcripts, export, or read the audit log.
    assert_eq!(refused(d, &carer, "620481", &["memories", "--resident", &r1]), "permission_denied");
    assert_eq!(refused(d, &carer, "620481", &["export", "--resident", &r1]), "permission_denied");
    assert_eq!(refused(d, &carer, "620481", &["audit"]), "permission_denied");
    // Resident 2's vault holds nothing of resident 1's.
    let listed = a(&["memories", "--resident", &r2]);
    assert_eq!(listed.as_array().expect("list").len(), 0);

    // The daughter consents for one memory; the export takes only that one.
    let invite_dir = tempfile::tempdir().expect("member");
    let out = Command::new(env!("CARGO_BIN_EXE_heirloom"))
        .args(["--json", "--data-dir"])
        .arg(invite_dir.path().join("data"))
        .arg("--key-file")
        .arg(invite_dir.path().join("keys"))
        .args(["family", "invite", "--name", "Susan", "--role", "family"])
        .output()
        .expect("invite");
    let invite: Value = serde_json::from_slice(&out.stdout).expect("json");
    let code = invite["data"]["invite"].as_str().expect("invite").to_owned();
    a(&["family-add", "--resident", &r1, "--invite", &code]);
    a(&[
        "consent-give",
        "--resident",
        &r1,
        "--memory",
        &m1,
        "--purpose",
        "family",
        "--proxy",
        "Susan Pennington",
        "--relation",
        "daughter",
        "--capacity-note",
        "advanced dementia",
    ]);
    let consents = a(&["consents", "--resident", &r1]);
    assert_eq!(consents[0]["proxy_name"], "Susan Pennington", "{consents}");
    assert_eq!(consents[0]["state"], "live");
    let export = a(&["export", "--resident", &r1]);
    assert_eq!(export["queued"].as_array().expect("queued").len(), 1, "{export}");
    assert_eq!(export["without_consent"].as_array().expect("rest").len(), 1, "{export}");
    // The export goes out sealed, through the reference enclave into a real S3 store.
    let weed = heirloom_tests::seaweed::Seaweed::start();
    let enclave = heirloom_tests::LocalEnclave::start(&weed, None);
    let key = enclave.server().enclave.keys.signing().verifying_key().to_string();
    let sent = a(&[
        "send",
        "--resident",
        &r1,
        "--enclave",
        &enclave.url(),
        "--enclave-key",
        &key,
        "--timeout",
        "120",
    ]);
    assert_eq!(sent["uploaded"], 1, "{sent}");
    assert_eq!(enclave.objects("shares/").len(), 1, "one sealed share in the store");
    assert_eq!(
        refused(
            d,
            &carer,
            "620481",
            &["send", "--resident", &r1, "--enclave", &enclave.url(), "--enclave-key", &key]
        ),
        "permission_denied"
    );

    // Story card: a draft, approved by the proxy, then visible to the carer.
    let draft = a(&["story-draft", "--resident", &r1])["draft"].as_str().expect("draft").to_owned();
    assert!(draft.contains("likes to be called Art"), "{draft}");
    assert!(c(&["story", "--resident", &r1]).is_null(), "nothing before approval");
    a(&[
        "story-approve",
        "--resident",
        &r1,
        "--text",
        "Milkman for 40 years; loves brass bands.",
        "--proxy",
        "Susan Pennington",
        "--relation",
        "daughter",
        "--capacity-note",
        "advanced dementia",
    ]);
    assert_eq!(
        c(&["story", "--resident", &r1])["text"],
        "Milkman for 40 years; loves brass bands."
    );
    let prompts = c(&["prompts", "--resident", &r1]).to_string().to_lowercase();
    assert!(prompts.contains("school") && !prompts.contains("joan") && !prompts.contains(" war"));

    // Wrong PINs: typed errors, then a lockout.
    for _ in 0..3 {
        assert_eq!(refused(d, &carer, "111112", &["residents"]), "wrong_pin");
    }
    assert_eq!(refused(d, &carer, "111112", &["residents"]), "locked_out");
    assert_eq!(refused(d, &carer, "620481", &["residents"]), "locked_out");

    // The audit log verifies and holds ids, never names or words.
    let log = a(&["audit"]);
    let text = log.to_string();
    let actions: Vec<&str> =
        log.as_array().expect("entries").iter().filter_map(|e| e["action"].as_str()).collect();
    for action in ["open", "record", "refused", "consent", "export", "family", "log_in_failed"] {
        assert!(actions.contains(&action), "{action} missing: {actions:?}");
    }
    for word in ["Arthur", "Pennington", "Milk", "Leeds", "Susan", "Bea"] {
        assert!(!text.contains(word), "{word} in the audit log");
    }
}
