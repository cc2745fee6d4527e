//! The C2SP age test kit (npm `cctv-age@0.2.0`, fetched by `tests/age/vectors.py` from
//! `scripts/setup`): every X25519, stanza, stream, header and HMAC vector must give exactly the
//! expected outcome, and every plaintext byte released before a failure must match the vector's
//! hash. Armor, scrypt and hybrid vectors may only be refused as unsupported, releasing nothing.

use crate::seal::{Identity, Opener, SealError};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

fn vectors_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("HEIRLOOM_AGE_VECTORS") {
        return dir.into();
    }
    let cache = std::env::var_os("HEIRLOOM_CACHE").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/heirloom")
    });
    cache.join("testkit/age")
}

struct Vector {
    name: String,
    expect: String,
    payload: Option<String>,
    identities: Vec<String>,
    passphrase: bool,
    armored: bool,
    file: Vec<u8>,
}

fn parse(name: &str, data: &[u8]) -> Vector {
    let split = data
        .windows(2)
        .position(|w| w == b"\n\n")
        .unwrap_or_else(|| panic!("{name}: no blank line"));
    let head = String::from_utf8_lossy(&data[..split]).into_owned();
    let mut v = Vector {
        name: name.to_owned(),
        expect: String::new(),
        payload: None,
        identities: vec![],
        passphrase: false,
        armored: false,
        file: data[split + 2..].to_vec(),
    };
    for line in head.lines() {
        let (key, value) = line.split_once(": ").unwrap_or((line, ""));
        match key {
            "expect" => v.expect = value.to_owned(),
            "payload" => v.payload = Some(value.to_owned()),
            "identity" => v.identities.push(value.to_owned()),
            "passphrase" => v.passphrase = true,
            "armored" => v.armored = value == "yes",
            _ => {}
        }
    }
    v
}

fn outcome(error: &SealError) -> &'static str {
    match error {
        SealError::Header { .. } => "header failure",
        SealError::NoMatch => "no match",
        SealError::HeaderMac => "HMAC failure",
        SealError::Payload { .. } => "payload failure",
        SealError::Unsupported { .. } => "unsupported",
        _ => "other error",
    }
}

/// Decrypts like an application would: returns the outcome and every byte released.
fn run(v: &Vector) -> (&'static str, Vec<u8>) {
    let mut identities = Vec::new();
    for text in &v.identities {
        match text.parse::<Identity>() {
            Ok(identity) => identities.push(identity),
            Err(e) => return (outcome(&e), vec![]),
        }
    }
    let mut released = Vec::new();
    let mut opener = match Opener::new(&identities, &v.file[..]) {
        Ok(opener) => opener,
        Err(e) => return (outcome(&e), released),
    };
    loop {
        match opener.next_chunk() {
            Ok(Some(chunk)) => released.extend_from_slice(chunk),
            Ok(None) => return ("success", released),
            Err(e) => return (outcome(&e), released),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn every_applicable_c2sp_vector_gives_the_expected_outcome() {
    let dir = vectors_dir();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|_| {
            panic!("age test vectors missing in {}: run scripts/setup", dir.display())
        })
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    entries.sort_by_key(|e| e.file_name());
    assert_eq!(entries.len(), 143, "the kit has 143 vectors");
    let (mut checked, mut unsupported, mut early, mut failures) = (0, 0, Vec::new(), Vec::new());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let v = parse(&name, &std::fs::read(entry.path()).expect("read vector"));
        let optional = v.armored
            || v.passphrase
            || v.identities.iter().any(|i| i.starts_with("AGE-SECRET-KEY-PQ-"))
            || name.starts_with("armor")
            || name.starts_with("scrypt")
            || name.starts_with("hybrid");
        let (got, released) = run(&v);
        if optional {
            // Never a success and never any output: a half-implemented feature would show here.
            // The refusal is "unsupported" when the feature is reached; a file that breaks the
            // format before that point (garbage before the armor, two scrypt stanzas) may fail
            // with the vector's own expected error instead. We do not parse armor, so an armor
            // failure shows as a header failure.
            let expected =
                if v.expect == "armor failure" { "header failure" } else { v.expect.as_str() };
            let refused_as_expected = got != "success" && got == expected;
            if !(got == "unsupported" || refused_as_expected) || !released.is_empty() {
                failures.push(format!("{}: optional feature gave {got}", v.name));
            }
            if got == "unsupported" {
                unsupported += 1;
            } else {
                early.push(v.name.clone());
            }
            continue;
        }
        checked += 1;
        if got != v.expect {
            failures.push(format!("{}: expected {}, got {got}", v.name, v.expect));
            continue;
        }
        if let Some(want) = &v.payload {
            let hash = hex(&Sha256::digest(&released));
            if &hash != want {
                failures.push(format!("{}: released plaintext hash differs", v.name));
            }
        } else if !released.is_empty() {
            failures.push(format!("{}: released plaintext without a payload hash", v.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} vectors wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // x25519, stanza, stream, header and hmac families; then the armor, scrypt and hybrid ones.
    assert_eq!(checked, 67);
    assert_eq!(unsupported + early.len(), 76);
    eprintln!("age kit: {checked} checked, {unsupported} unsupported, refused earlier: {early:?}");
}
