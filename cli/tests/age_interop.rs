//! `heirloom seal` / `heirloom open` against Debian's real `age` 1.1.1, in both directions, at
//! the sizes where the STREAM format has edges (0 B, 1 B, 64 KiB ± 1) and at 200 MB; identity
//! files cross over too (age-keygen's opened by heirloom, heirloom keygen's by age).

use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

const KIB64: u64 = 64 * 1024;

fn heirloom(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_heirloom")).args(args).output().expect("run heirloom")
}

fn age(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new("age").args(args).output().expect("the age tool (scripts/setup installs it)")
}

fn ok(out: std::process::Output, what: &str) {
    assert!(out.status.success(), "{what}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Writes `len` deterministic pseudo-random bytes; returns their SHA-256.
fn plaintext(path: &Path, len: u64) -> [u8; 32] {
    let mut out = BufWriter::new(File::create(path).expect("create"));
    let mut hash = Sha256::new();
    let mut state = len.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut block = vec![0u8; 1 << 16];
    let mut left = len;
    while left > 0 {
        for word in block.chunks_exact_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes());
        }
        let n = left.min(block.len() as u64) as usize;
        out.write_all(&block[..n]).expect("write");
        hash.update(&block[..n]);
        left -= n as u64;
    }
    out.flush().expect("flush");
    hash.finalize().into()
}

fn sha256_file(path: &Path) -> [u8; 32] {
    let mut file = File::open(path).expect("open");
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).expect("read");
        if n == 0 {
            break hash.finalize().into();
        }
        hash.update(&buf[..n]);
    }
}

struct Keys {
    age_identity: PathBuf,
    age_recipient: String,
    heirloom_identity: PathBuf,
    heirloom_recipient: String,
}

fn keys(dir: &Path) -> Keys {
    let age_identity = dir.join("age-key.txt");
    ok(
        Command::new("age-keygen").arg("-o").arg(&age_identity).output().expect("age-keygen"),
        "age-keygen",
    );
    let out =
        Command::new("age-keygen").arg("-y").arg(&age_identity).output().expect("age-keygen -y");
    let age_recipient = String::from_utf8(out.stdout).expect("utf-8").trim().to_owned();
    let heirloom_identity = dir.join("heirloom-key.txt");
    let out = heirloom(&[
        "--json".as_ref(),
        "keygen".as_ref(),
        "-o".as_ref(),
        heirloom_identity.as_os_str(),
    ]);
    ok(out.clone(), "heirloom keygen");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let heirloom_recipient = doc["data"]["recipient"].as_str().expect("recipient").to_owned();
    Keys { age_identity, age_recipient, heirloom_identity, heirloom_recipient }
}

fn both_directions(dir: &Path, keys: &Keys, len: u64) {
    let plain = dir.join(format!("plain-{len}"));
    let want = plaintext(&plain, len);
    // heirloom seals → age opens (with heirloom's identity file).
    let sealed = dir.join(format!("h-{len}.age"));
    let back = dir.join(format!("h-{len}.out"));
    ok(
        heirloom(&[
            "seal".as_ref(),
            "-r".as_ref(),
            keys.heirloom_recipient.as_ref(),
            "-o".as_ref(),
            sealed.as_os_str(),
            plain.as_os_str(),
        ]),
        "heirloom seal",
    );
    ok(
        age(&[
            "-d".as_ref(),
            "-i".as_ref(),
            keys.heirloom_identity.as_os_str(),
            "-o".as_ref(),
            back.as_os_str(),
            sealed.as_os_str(),
        ]),
        "age -d",
    );
    // age creates its output file on the first byte written: none for an empty plaintext.
    if len == 0 && !back.exists() {
        File::create(&back).expect("create");
    }
    assert_eq!(sha256_file(&back), want, "{len} bytes: heirloom → age");
    // age seals → heirloom opens (with age-keygen's identity file).
    let sealed = dir.join(format!("a-{len}.age"));
    let back = dir.join(format!("a-{len}.out"));
    ok(
        age(&[
            "-r".as_ref(),
            keys.age_recipient.as_ref(),
            "-o".as_ref(),
            sealed.as_os_str(),
            plain.as_os_str(),
        ]),
        "age -r",
    );
    ok(
        heirloom(&[
            "open".as_ref(),
            "-i".as_ref(),
            keys.age_identity.as_os_str(),
            "-o".as_ref(),
            back.as_os_str(),
            sealed.as_os_str(),
        ]),
        "heirloom open",
    );
    assert_eq!(sha256_file(&back), want, "{len} bytes: age → heirloom");
    for f in
        [plain, back, sealed, dir.join(format!("h-{len}.age")), dir.join(format!("h-{len}.out"))]
    {
        let _ = std::fs::remove_file(f);
    }
}

#[test]
fn heirloom_and_age_open_each_others_files_at_the_stream_edges() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = keys(dir.path());
    for len in [0, 1, KIB64 - 1, KIB64, KIB64 + 1] {
        both_directions(dir.path(), &keys, len);
    }
}

#[test]
fn heirloom_and_age_open_each_others_200_mb_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = keys(dir.path());
    both_directions(dir.path(), &keys, 200_000_000);
}

#[test]
fn several_recipients_and_a_tampered_file_leave_no_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = keys(dir.path());
    let plain = dir.path().join("plain");
    let want = plaintext(&plain, 3 * KIB64 + 5);
    let sealed = dir.path().join("both.age");
    ok(
        heirloom(&[
            "seal".as_ref(),
            "-r".as_ref(),
            keys.heirloom_recipient.as_ref(),
            "-r".as_ref(),
            keys.age_recipient.as_ref(),
            "-o".as_ref(),
            sealed.as_os_str(),
            plain.as_os_str(),
        ]),
        "seal for two",
    );
    for identity in [&keys.age_identity, &keys.heirloom_identity] {
        let back = dir.path().join("back");
        ok(
            age(&[
                "-d".as_ref(),
                "-i".as_ref(),
                identity.as_os_str(),
                "-o".as_ref(),
                back.as_os_str(),
                sealed.as_os_str(),
            ]),
            "age -d",
        );
        assert_eq!(sha256_file(&back), want);
    }
    // Flip one byte in the last chunk: heirloom refuses and writes no output file.
    let mut bytes = std::fs::read(&sealed).expect("read");
    let last = bytes.len() - 3;
    bytes[last] ^= 1;
    std::fs::write(&sealed, &bytes).expect("write");
    let back = dir.path().join("tampered.out");
    let out = heirloom(&[
        "--json".as_ref(),
        "open".as_ref(),
        "-i".as_ref(),
        keys.age_identity.as_os_str(),
        "-o".as_ref(),
        back.as_os_str(),
        sealed.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(4), "corrupt exits 4");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["error"]["kind"], "corrupt");
    assert!(!back.exists(), "a tampered file left output behind");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "scratch files left behind");
    // The wrong key is a typed error too.
    let other = dir.path().join("other.txt");
    ok(
        Command::new("age-keygen").arg("-o").arg(&other).output().expect("age-keygen"),
        "age-keygen",
    );
    let out = heirloom(&[
        "--json".as_ref(),
        "open".as_ref(),
        "-i".as_ref(),
        other.as_os_str(),
        "-o".as_ref(),
        back.as_os_str(),
        sealed.as_os_str(),
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["error"]["kind"], "wrong_key");
    assert!(!back.exists());
}
