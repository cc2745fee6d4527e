//! The `heirloom` binary end to end: every subcommand's JSON document and exit code.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    fn new() -> Self {
        Self { dir: tempfile::tempdir().expect("tempdir") }
    }

    fn run_with_key(&self, key: &Path, args: &[&str]) -> (i32, Value) {
        let out = Command::new(env!("CARGO_BIN_EXE_heirloom"))
            .arg("--json")
            .arg("--data-dir")
            .arg(self.dir.path().join("data"))
            .arg("--key-file")
            .arg(key)
            .args(args)
            .output()
            .expect("run heirloom");
        let stdout = String::from_utf8(out.stdout).expect("utf-8");
        assert_eq!(stdout.lines().count(), 1, "exactly one JSON document: {stdout}");
        let doc: Value = serde_json::from_str(&stdout).expect("valid JSON");
        (out.status.code().unwrap_or(-1), doc)
    }

    fn run(&self, args: &[&str]) -> (i32, Value) {
        self.run_with_key(&self.dir.path().join("keys"), args)
    }

    fn ok(&self, args: &[&str]) -> Value {
        let (code, doc) = self.run(args);
        assert_eq!(code, 0, "{args:?}: {doc}");
        assert_eq!(doc["ok"], true);
        doc["data"].clone()
    }
}

#[test]
fn add_show_search_timeline_person_merge() {
    let cli = Cli::new();
    let init = cli.ok(&["init"]);
    assert_eq!(init["memories"], 0);
    let m1 = cli.ok(&[
        "add",
        "--title",
        "Nonna's kitchen",
        "--when",
        "1950s",
        "--text",
        "Grandma Rosa made lasagne every Sunday.\nMy grandmother sang in the kitchen.",
    ]);
    let m1_id = m1["memory"]["id"].as_i64().expect("id");
    assert_eq!(m1["memory"]["about_when"]["precision"], "decade");
    assert_eq!(m1["segments"].as_array().map(Vec::len), Some(2));
    let m2 = cli.ok(&[
        "add",
        "--title",
        "Wedding",
        "--when",
        "1962-06-16",
        "--text",
        "Tom and I married in Zürich.",
    ]);
    let m2_id = m2["memory"]["id"].as_i64().expect("id");

    let hits = cli.ok(&["search", "zurich"]);
    assert_eq!(hits[0]["memory_id"], m2_id);
    assert_eq!(hits[0]["highlights"][0]["start"], 21);

    let timeline = cli.ok(&["timeline"]);
    let ids: Vec<i64> = timeline["dated"]
        .as_array()
        .expect("dated")
        .iter()
        .filter_map(|m| m["id"].as_i64())
        .collect();
    assert_eq!(ids, [m1_id, m2_id]);

    let m1s = m1_id.to_string();
    let rosa = cli.ok(&[
        "person",
        "add",
        "Rosa",
        "--alias",
        "Grandma Rosa",
        "--relation",
        "grandmother",
        "--in",
        &m1s,
    ]);
    let rosa_id = rosa["entity"]["id"].as_i64().expect("id");
    assert_eq!(rosa["linked_mentions"].as_array().map(Vec::len), Some(1));
    let gm = cli.ok(&["person", "add", "my grandmother", "--in", &m1s]);
    let gm_id = gm["entity"]["id"].as_i64().expect("id");

    let view = cli.ok(&["person", "show", "grandma rosa"]);
    assert_eq!(view["entity"]["id"], rosa_id);
    assert_eq!(view["mentions"][0]["quote"], "Grandma Rosa");

    let proposal =
        cli.ok(&["merge", "propose", &rosa_id.to_string(), &gm_id.to_string(), "--score", "0.9"]);
    let pid = proposal["id"].as_i64().expect("id").to_string();
    assert_eq!(cli.ok(&["merge", "accept", &pid])["state"], "accepted");
    assert_eq!(
        cli.ok(&["person", "show", &rosa_id.to_string()])["mentions"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(cli.ok(&["merge", "undo", &pid])["state"], "undone");
    assert_eq!(
        cli.ok(&["person", "show", &rosa_id.to_string()])["mentions"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(cli.ok(&["merge", "list"]).as_array().map(Vec::len), Some(1));

    let shown = cli.ok(&["show", &m1s]);
    let ids: Vec<i64> = shown["entities"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["id"].as_i64())
        .collect();
    assert!(ids.contains(&rosa_id) && ids.contains(&gm_id), "{ids:?}");
    let cov = cli.ok(&["coverage"]);
    assert_eq!(cov["memories"], 2);

    let edited = cli.ok(&["edit", &m2_id.to_string(), "--clear-when"]);
    assert!(edited["about_when"].is_null());
    let deleted = cli.ok(&["delete", &m1s]);
    // Only what extraction inferred from that memory alone goes; the owner's people stay.
    assert!(deleted["removed_entities"].as_u64().is_some());
    for kept in [rosa_id, gm_id] {
        assert_eq!(cli.ok(&["person", "show", &kept.to_string()])["entity"]["id"], kept);
    }
    assert_eq!(cli.ok(&["list"]).as_array().map(Vec::len), Some(1));
}

#[test]
fn errors_are_typed_json_with_exit_codes() {
    let cli = Cli::new();
    cli.ok(&["init"]);
    let (code, doc) = cli.run(&["show", "99"]);
    assert_eq!(
        (code, doc["ok"].clone(), doc["error"]["kind"].clone()),
        (1, Value::Bool(false), "not_found".into())
    );
    let (code, doc) = cli.run(&["add", "--title", "x", "--when", "sometime", "--text", "y"]);
    assert_eq!((code, doc["error"]["kind"].clone()), (2, "usage".into()));
    let (code, doc) = cli.run(&["add", "--title", "x", "--when", "1900-02-29", "--text", "y"]);
    assert_eq!((code, doc["error"]["kind"].clone()), (1, "invalid_input".into()));
    let (code, doc) = cli.run(&["person", "list", "--kind", "planet"]);
    assert_eq!((code, doc["error"]["kind"].clone()), (2, "usage".into()));
    assert!(!doc.to_string().contains("planet"), "{doc}");
    let (code, doc) = cli.run(&["merge", "undo", "5"]);
    assert_eq!((code, doc["error"]["kind"].clone()), (1, "not_found".into()));

    let wrong = cli.dir.path().join("wrong-keys");
    std::fs::write(&wrong, format!("heirloom.store.v1 {}\n", "11".repeat(32))).expect("write");
    let (code, doc) = cli.run_with_key(&wrong, &["list"]);
    assert_eq!((code, doc["error"]["kind"].clone()), (3, "wrong_key".into()));
    let (code, doc) = cli.run_with_key(&cli.dir.path().join("no-keys"), &["list"]);
    assert_eq!((code, doc["error"]["kind"].clone()), (3, "key_missing".into()));
}

#[test]
fn user_content_never_appears_in_error_output() {
    let cli = Cli::new();
    cli.ok(&["init"]);
    let secret = "Sigrún's diagnosis";
    let long = secret.repeat(40);
    let (code, doc) = cli.run(&["add", "--title", &long, "--text", "x"]);
    assert_eq!(code, 1);
    assert!(!doc.to_string().contains("Sigrún"), "{doc}");
    let (_, doc) = cli.run(&["search", &"x".repeat(600)]);
    assert!(!doc.to_string().contains("xxxx"), "{doc}");
}

#[test]
fn import_a_wav_as_a_voice_memory() {
    let cli = Cli::new();
    let wav = cli.dir.path().join("story.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&wav, spec).expect("wav");
    for i in 0..24_000 {
        w.write_sample((i % 300) as i16).expect("sample");
    }
    w.finalize().expect("finalize");
    let data = cli.ok(&["import", wav.to_str().expect("utf-8"), "--title", "Story"]);
    assert_eq!(data["memory"]["source"], "voice");
    assert_eq!(data["recording"]["duration_ms"], 1500);
    let id = data["memory"]["id"].as_i64().expect("id").to_string();
    assert_eq!(cli.ok(&["show", &id])["recordings"][0]["sample_rate"], 16_000);
    assert_eq!(cli.ok(&["recover"]).as_array().map(Vec::len), Some(0));
    std::fs::write(&wav, b"RIFF....WAVEjunk").expect("write");
    let (code, doc) = cli.run(&["import", wav.to_str().expect("utf-8")]);
    assert_eq!((code, doc["error"]["kind"].clone()), (1, "invalid_input".into()));
}

fn jfk() -> std::path::PathBuf {
    let dir = std::env::var_os("HEIRLOOM_MODELS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/cache"),
        std::path::PathBuf::from,
    );
    dir.join("samples/jfk.wav")
}

fn words(v: &Value) -> Vec<String> {
    // Transcript segments carry `text`; stored ones `machine_text` and the owner's `user_text`.
    let text: Vec<&str> = v
        .as_array()
        .expect("segments")
        .iter()
        .filter_map(|s| {
            s["text"].as_str().or(s["user_text"].as_str()).or(s["machine_text"].as_str())
        })
        .collect();
    text.join(" ")
        .split_whitespace()
        .map(|w| w.chars().filter(|c| c.is_alphanumeric()).collect::<String>().to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

const JFK: &str = "and so my fellow americans ask not what your country can do for you ask what \
                   you can do for your country";

#[test]
fn import_and_record_transcribe_real_speech_into_the_graph() {
    let cli = Cli::new();
    let wav = jfk();
    let wav = wav.to_str().expect("utf-8");
    let data = cli.ok(&["import", wav, "--title", "JFK", "--threads", "1"]);
    assert_eq!(words(&data["segments"]).join(" "), JFK);
    assert_eq!(data["model"], "tiny.en");
    assert_eq!(data["recording"]["transcript_model"], "tiny.en");
    let seg = &data["segments"][0];
    assert!(
        seg["start_ms"].as_u64().is_some() && seg["end_ms"].as_u64() > seg["start_ms"].as_u64()
    );
    assert!(seg["confidence"].as_f64().is_some_and(|c| c > 0.0 && c <= 1.0));
    let id = data["memory_id"].as_i64().expect("id").to_string();
    assert_eq!(words(&cli.ok(&["show", &id])["segments"]).join(" "), JFK, "stored in the graph");
    assert_eq!(cli.ok(&["search", "fellow americans"]).as_array().map(Vec::len), Some(1));

    // Through a live recording session, 100 ms at a time.
    let rec = cli.ok(&["record", "--wav", wav, "--threads", "1"]);
    assert_eq!(words(&rec["segments"]).join(" "), JFK);
    assert_eq!(rec["recording"]["duration_ms"], 11_000);

    // Audio only, then transcribed later.
    let later = cli.ok(&["import", wav, "--no-transcribe"]);
    assert_eq!(later["segments"].as_array().map(Vec::len), Some(0));
    let lid = later["memory_id"].as_i64().expect("id").to_string();
    let t = cli.ok(&["transcribe", &lid, "--threads", "1"]);
    assert_eq!(words(&t["segments"]).join(" "), JFK);

    // No such model directory: a typed error, and the audio is kept.
    let (code, doc) = cli.run(&["import", wav, "--models-dir", "/nonexistent"]);
    assert_eq!((code, doc["error"]["kind"].clone()), (5, "model_unavailable".into()));
    let (code, doc) = cli.run(&["import", wav, "--model", "huge"]);
    assert_eq!((code, doc["error"]["kind"].clone()), (2, "usage".into()));
}

#[test]
fn facts_profile_and_a_scripted_interview() {
    let cli = Cli::new();
    cli.ok(&["profile", "set", "--birth-year", "1941", "--language", "en"]);
    assert_eq!(cli.ok(&["profile", "show"])["birth_year"], 1941);
    let added = cli.ok(&[
        "add",
        "--title",
        "Tom",
        "--text",
        "my late husband tom and i married in naples in nineteen sixty two when i was twenty",
    ]);
    let id = added["memory"]["id"].as_i64().expect("id").to_string();
    let shown = cli.ok(&["memory", "show", &id]);
    let facts = shown["facts"].as_array().expect("facts");
    let tom = facts.iter().find(|f| f["detail"]["kind"] == "person").expect("person");
    assert_eq!(tom["detail"]["name"], "Tom");
    assert_eq!(tom["detail"]["relation"], "husband");
    assert_eq!(tom["detail"]["deceased"], true);
    assert_eq!(tom["quote"], "my late husband tom");
    assert!(tom["confidence"].as_f64().is_some_and(|c| c > 0.6));
    assert!(facts
        .iter()
        .any(|f| f["detail"]["kind"] == "place" && f["detail"]["name"] == "Naples"));
    assert!(facts.iter().any(|f| f["year_from"] == 1962 && f["year_to"] == 1962));
    assert!(
        facts.iter().any(|f| f["year_from"] == 1961 && f["year_to"] == 1962),
        "age 20 with birth year 1941"
    );
    assert!(facts.iter().any(|f| f["detail"]["event"] == "wedding"));

    let turns = cli.ok(&[
        "ask",
        "--turns",
        "2",
        "--answer",
        "My brother Kwame fixed radios in Accra.",
        "--answer",
        "We listened to highlife music every evening.",
    ]);
    let turns = turns.as_array().expect("turns");
    assert_eq!(turns.len(), 2);
    for turn in turns {
        assert!(turn["question"]["text"]
            .as_str()
            .is_some_and(|t| t.ends_with('?') || t.ends_with('.')));
        assert!(turn["question"]["reason"].as_str().is_some_and(|r| !r.is_empty()));
        assert!(turn["answer_memory_id"].as_i64().is_some());
    }
    assert!(turns[0]["facts"]
        .as_array()
        .expect("facts")
        .iter()
        .any(|f| f["detail"]["name"] == "Kwame"));
    assert_ne!(turns[0]["question"]["key"], turns[1]["question"]["key"]);
    let proposals = cli.ok(&["facts", "proposals"]);
    assert!(proposals.as_array().is_some());
}

#[test]
fn photo_add_show_export_and_typed_errors() {
    let cli = Cli::new();
    let memory = cli.ok(&["add", "--title", "The garden", "--text", "We grew tomatoes."]);
    let id = memory["memory"]["id"].as_i64().expect("id").to_string();
    let picture = image::RgbImage::from_fn(300, 200, |x, y| image::Rgb([x as u8, y as u8, 90]));
    let png = cli.dir.path().join("garden.png");
    picture.save(&png).expect("png");
    let webp = cli.dir.path().join("garden-copy.webp");
    picture.save(&webp).expect("webp");

    let added =
        cli.ok(&["photo", "add", &id, png.to_str().expect("path"), webp.to_str().expect("path")]);
    let list = added.as_array().expect("list");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["photo"]["width"], 300);
    assert_eq!(list[0]["photo"]["format"], "png");
    let first = list[0]["photo"]["media"]["id"].as_i64().expect("id");
    // The WebP is the same picture: flagged as a near-duplicate of the PNG.
    assert_eq!(list[1]["photo"]["near_duplicates"], serde_json::json!([first]));

    let shown = cli.ok(&["photo", "show", &first.to_string()]);
    assert_eq!(shown["height"], 200);
    let thumb = cli.dir.path().join("thumb.jpg");
    let exported = cli.ok(&[
        "photo",
        "export",
        &first.to_string(),
        "--size",
        "256",
        "-o",
        thumb.to_str().expect("path"),
    ]);
    let bytes = std::fs::read(&thumb).expect("thumb");
    assert_eq!(exported["bytes"], bytes.len());
    let decoded = image::load_from_memory(&bytes).expect("a JPEG");
    assert_eq!((decoded.width(), decoded.height()), (256, 171));

    // Not an image, whatever its name: a typed error that does not echo the file's name.
    let fake = cli.dir.path().join("secret-diary.jpg");
    std::fs::write(&fake, "dear diary").expect("write");
    let (code, doc) = cli.run(&["photo", "add", &id, fake.to_str().expect("path")]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(doc["error"]["kind"], "invalid_input");
    assert!(!doc.to_string().contains("diary"), "{doc}");
    let (code, doc) = cli.run(&["photo", "show", "999"]);
    assert_eq!((code, doc["error"]["kind"].as_str()), (1, Some("not_found")));
}

#[test]
fn video_storyboard_shows_and_keeps_the_owners_edit() {
    let cli = Cli::new();
    let memory =
        cli.ok(&["add", "--title", "Seaside", "--text", "We built castles.\nThe tide came in."]);
    let id = memory["memory"]["id"].as_i64().expect("id").to_string();
    let mut photos = Vec::new();
    for (i, (w, h)) in [(400u32, 300u32), (300, 400)].into_iter().enumerate() {
        let path = cli.dir.path().join(format!("p{i}.png"));
        image::RgbImage::from_fn(w, h, |x, _| image::Rgb([x as u8, i as u8 * 100, 0]))
            .save(&path)
            .expect("png");
        let added = cli.ok(&["photo", "add", &id, path.to_str().expect("path")]);
        photos.push(added[0]["photo"]["media"]["id"].as_i64().expect("id"));
    }
    let board = cli.ok(&["video", "storyboard", &id]);
    assert_eq!(board["duration_ms"], 10_000);
    assert_eq!(board["resolution"], "p720");
    assert_eq!(board["scenes"][0]["visual"]["media_id"], photos[0]);
    assert_eq!(board["captions"].as_array().map(Vec::len), Some(2));

    let second = photos[1].to_string();
    let edited = cli.ok(&["video", "storyboard", &id, "--order", &second, "--resolution", "1080p"]);
    assert_eq!(edited["scenes"][0]["visual"]["media_id"], photos[1]);
    assert_eq!(edited["resolution"], "p1080");
    assert_eq!(cli.ok(&["video", "storyboard", &id]), edited, "the edit is kept");

    // No recording: no span to choose.
    let (code, doc) = cli.run(&["video", "storyboard", &id, "--span", "1-2"]);
    assert_eq!((code, doc["error"]["kind"].as_str()), (1, Some("invalid_input")), "{doc}");
    let (code, _) = cli.run(&["video", "storyboard", &id, "--span", "soon"]);
    assert_eq!(code, 2);
}

#[test]
fn video_render_writes_an_mp4_and_keeps_an_encrypted_copy() {
    let cli = Cli::new();
    let memory = cli.ok(&["add", "--title", "Orchard", "--text", "We picked apples.\nThen pears."]);
    let id = memory["memory"]["id"].as_i64().expect("id").to_string();
    let path = cli.dir.path().join("tree.png");
    image::RgbImage::from_fn(640, 480, |x, y| image::Rgb([x as u8, y as u8, 90]))
        .save(&path)
        .expect("png");
    cli.ok(&["photo", "add", &id, path.to_str().expect("path")]);
    let mp4 = cli.dir.path().join("orchard.mp4");
    let done = cli.ok(&["video", "render", &id, "-o", mp4.to_str().expect("path"), "--keep"]);
    assert_eq!((done["width"].as_u64(), done["height"].as_u64()), (Some(1280), Some(720)));
    assert_eq!(done["frames"], 150, "one photo: 5 s at 30 fps: {done}");
    let bytes = std::fs::read(&mp4).expect("mp4 written");
    assert_eq!(done["bytes"], bytes.len());
    assert_eq!(&bytes[4..8], b"ftyp");
    let kept = done["media_id"].as_i64().expect("kept with the memory");
    let shown = cli.ok(&["show", &id]);
    assert!(
        shown["media"]
            .as_array()
            .expect("media")
            .iter()
            .any(|m| m["id"] == kept && m["kind"] == "video"),
        "{shown}"
    );
    // A memory that does not exist: a typed error, no file.
    let missing = cli.dir.path().join("none.mp4");
    let (code, doc) = cli.run(&["video", "render", "999", "-o", missing.to_str().expect("path")]);
    assert_eq!((code, doc["error"]["kind"].as_str()), (1, Some("not_found")), "{doc}");
    assert!(!missing.exists());
}

#[test]
fn family_invite_add_list_remove() {
    // Two devices: the member makes an invite on theirs; the owner adds it on theirs.
    let member = Cli::new();
    member.ok(&["init"]);
    let invite = member.ok(&["family", "invite", "--name", "Anna", "--role", "guardian"]);
    let code = invite["invite"].as_str().expect("invite").to_owned();
    assert!(code.starts_with("HLINVITE1"), "{code}");

    let owner = Cli::new();
    owner.ok(&["init"]);
    let added = owner.ok(&["family", "add", &code]);
    assert_eq!((added["name"].as_str(), added["role"].as_str()), (Some("Anna"), Some("guardian")));
    let id = added["id"].as_i64().expect("id").to_string();
    assert_eq!(owner.ok(&["family", "list"]).as_array().map(Vec::len), Some(1));
    assert_eq!(owner.ok(&["family", "remove", &id])["removed"], true);
    assert!(owner.ok(&["family", "list"])[0]["removed_at_ms"].is_i64());

    // A mistyped invite is a typed error that does not echo it.
    let mut typo = code.clone();
    let last = typo.pop().expect("char");
    typo.push(if last == 'Q' { 'P' } else { 'Q' });
    let (status, doc) = owner.run(&["family", "add", &typo]);
    assert_eq!((status, doc["error"]["kind"].as_str()), (1, Some("invalid_input")), "{doc}");
    assert!(!doc.to_string().contains(&typo), "{doc}");
    let (status, doc) = owner.run(&["family", "remove", "77"]);
    assert_eq!((status, doc["error"]["kind"].as_str()), (1, Some("not_found")), "{doc}");
}
