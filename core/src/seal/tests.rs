use super::*;
use std::io::Read;

mod vectors;

fn sealed(recipients: &[Recipient], plaintext: &[u8]) -> Vec<u8> {
    let (out, summary) = seal(recipients, plaintext, Vec::new()).expect("seal");
    assert_eq!(summary.plaintext_bytes, plaintext.len() as u64);
    assert_eq!(summary.sealed_bytes, out.len() as u64);
    out
}

fn opened(identities: &[Identity], file: &[u8]) -> Result<Vec<u8>, SealError> {
    open(identities, file, Vec::new()).map(|(out, _)| out)
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
fn round_trips_at_every_chunk_boundary() {
    let id = Identity::generate().expect("identity");
    for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 17] {
        let plain = pattern(len);
        let file = sealed(&[id.recipient()], &plain);
        let chunks = len.div_ceil(CHUNK).max(1);
        let header_end = file.windows(4).position(|w| w == b"\n---").expect("mac line");
        let header_len =
            header_end + file[header_end + 1..].iter().position(|&b| b == b'\n').expect("lf") + 2;
        assert_eq!(file.len(), header_len + 16 + len + 16 * chunks, "{len} bytes");
        let (out, summary) = open(std::slice::from_ref(&id), &file[..], Vec::new()).expect("open");
        assert_eq!(out, plain, "{len} bytes");
        assert_eq!(summary.plaintext_bytes, len as u64);
    }
}

#[test]
fn every_recipient_can_open_and_others_cannot() {
    let ids: Vec<Identity> = (0..3).map(|_| Identity::generate().expect("identity")).collect();
    let recipients: Vec<Recipient> = ids.iter().map(Identity::recipient).collect();
    let file = sealed(&recipients, b"the summer at the lake");
    for id in &ids {
        assert_eq!(
            opened(std::slice::from_ref(id), &file).expect("open"),
            b"the summer at the lake"
        );
    }
    let stranger = Identity::generate().expect("identity");
    assert!(matches!(opened(&[stranger], &file), Err(SealError::NoMatch)));
    assert!(matches!(opened(&[], &file), Err(SealError::NoMatch)));
    assert!(matches!(seal(&[], &b"x"[..], Vec::new()), Err(SealError::NoRecipients)));
}

#[test]
fn sealing_twice_gives_different_files() {
    let id = Identity::generate().expect("identity");
    assert_ne!(sealed(&[id.recipient()], b"same"), sealed(&[id.recipient()], b"same"));
}

#[test]
fn any_flipped_byte_is_an_error_and_releases_nothing_false() {
    let id = Identity::generate().expect("identity");
    let plain = pattern(CHUNK + 100);
    let file = sealed(&[id.recipient()], &plain);
    // Every byte of the header and nonce, and a spread of payload bytes.
    let positions: Vec<usize> = (0..file.len()).filter(|&i| i < 300 || i % 997 == 0).collect();
    for i in positions {
        let mut bad = file.clone();
        bad[i] ^= 0x20;
        let mut opener = match Opener::new(std::slice::from_ref(&id), &bad[..]) {
            Ok(opener) => opener,
            Err(_) => continue,
        };
        let mut released = Vec::new();
        let result = loop {
            match opener.next_chunk() {
                Ok(Some(chunk)) => released.extend_from_slice(chunk),
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        assert!(result.is_err(), "flipping byte {i} went unnoticed");
        assert!(plain.starts_with(&released), "byte {i}: released bytes that were not sealed");
    }
}

#[test]
fn truncation_and_extension_are_caught() {
    let id = Identity::generate().expect("identity");
    let file = sealed(&[id.recipient()], &pattern(2 * CHUNK + 5));
    for cut in [1, 16, 17, CHUNK + 16 + 5 + 16, file.len() - 200] {
        let short = &file[..file.len() - cut];
        assert!(opened(std::slice::from_ref(&id), short).is_err(), "cut {cut}");
    }
    let mut long = file.clone();
    long.push(0);
    assert!(matches!(opened(std::slice::from_ref(&id), &long), Err(SealError::Payload { .. })));
    let mut opener = Opener::new(&[id], &file[..]).expect("open");
    let mut all = Vec::new();
    opener.read_to_end(&mut all).expect("read");
    assert_eq!(all, pattern(2 * CHUNK + 5));
}

#[test]
fn keys_round_trip_in_age_formats_and_never_show_secrets() {
    let id = Identity::generate().expect("identity");
    let text = id.to_bech32();
    assert!(text.starts_with("AGE-SECRET-KEY-1") && text.len() == 74, "{}", text.len());
    let back: Identity = text.parse().expect("parse identity");
    assert_eq!(back.recipient(), id.recipient());
    let recipient = id.recipient().to_string();
    assert!(recipient.starts_with("age1") && recipient.len() == 62);
    assert_eq!(recipient.parse::<Recipient>().expect("parse recipient"), id.recipient());
    let file = id.to_identity_file("2026-11-22T08:00:00Z");
    let parsed = parse_identity_file(&file).expect("identity file");
    assert_eq!(parsed.len(), 1);
    assert_eq!(parsed[0].recipient(), id.recipient());
    let shown = format!("{id:?}");
    assert!(!shown.contains(&text[16..30]), "{shown}");
    assert!(shown.contains(&recipient));
    assert_eq!(Identity::from_secret(&id.to_secret()).recipient(), id.recipient());
}

#[test]
fn malformed_keys_get_typed_errors() {
    let id = Identity::generate().expect("identity");
    let mut typo = id.recipient().to_string();
    typo.replace_range(10..11, if &typo[10..11] == "q" { "p" } else { "q" });
    assert!(matches!(typo.parse::<Recipient>(), Err(SealError::InvalidRecipient)));
    assert!(matches!(
        id.recipient().to_string().to_uppercase().parse::<Recipient>(),
        Err(SealError::InvalidRecipient)
    ));
    assert!(matches!(
        id.to_bech32().to_lowercase().parse::<Identity>(),
        Err(SealError::InvalidIdentity)
    ));
    assert!(matches!("age1pq1abc".parse::<Recipient>(), Err(SealError::Unsupported { .. })));
    assert!(matches!("".parse::<Identity>(), Err(SealError::InvalidIdentity)));
    assert!(matches!(parse_identity_file("# nothing here\n"), Err(SealError::InvalidIdentity)));
    // A recipient string where an identity belongs must not be mistaken for one.
    assert!(matches!(
        id.recipient().to_string().parse::<Identity>(),
        Err(SealError::InvalidIdentity)
    ));
    // The error text never echoes the key.
    let err = format!("{}", id.to_bech32()[..70].parse::<Identity>().expect_err("short key"));
    assert!(!err.contains("AGE-SECRET"), "{err}");
}

/// The fuzz target's body (see `core/fuzz`), run here over mutations of real files so the stable
/// test suite exercises it too: any outcome but a panic is fine.
#[test]
fn mutated_files_never_panic_the_parser() {
    let id = Identity::generate().expect("identity");
    let base =
        sealed(&[id.recipient(), Identity::generate().expect("id").recipient()], &pattern(300));
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..20_000 {
        let mut file = base.clone();
        for _ in 0..(next() % 4 + 1) {
            let i = (next() as usize) % file.len();
            match next() % 4 {
                0 => file[i] = next() as u8,
                1 => file.truncate(i),
                2 => file.insert(i, [b'\n', b' ', b'-', b'>'][(next() % 4) as usize]),
                _ => {
                    file.remove(i);
                }
            }
            if file.is_empty() {
                break;
            }
        }
        crate::seal::fuzz_open(&file, std::slice::from_ref(&id));
    }
}

#[test]
fn the_sealed_digest_is_computed_only_when_asked_for() {
    use sha2::Digest;
    let id = Identity::generate().expect("identity");
    let (_, plain) = seal(&[id.recipient()], &b"no digest"[..], Vec::new()).expect("seal");
    assert_eq!(plain.sealed_sha256, None);
    let mut sealer = Sealer::with_digest(&[id.recipient()], Vec::new()).expect("sealer");
    std::io::Write::write_all(&mut sealer, b"with digest").expect("write");
    let (file, summary) = sealer.finish().expect("finish");
    let want: [u8; 32] = sha2::Sha256::digest(&file).into();
    assert_eq!(summary.sealed_sha256, Some(want));
}
