//! Switching resident on a kiosk leaves nothing of the previous resident in the process: their
//! transcript, a photo's thumbnail and their database key are searched for in every writable
//! page of this process (/proc/self/mem) after the switch, and none is found. Before the switch
//! the same search finds the transcript, which proves it can.
//!
//! Its own test binary, with the allocator the bindings and the CLI install, and one test, so
//! no other test shares the process.

use heirloom_core::keystore::{FileKeyStore, KeyStore};
use heirloom_core::kiosk::{
    Kiosk, KioskConfig, PinCost, ResidentProfile, WipeOnFree, WIPE_ON_FREE,
};
use heirloom_core::store::DATABASE_KEY_NAME;
use std::fs::File;
use std::os::unix::fs::FileExt;

#[global_allocator]
static ALLOCATOR: WipeOnFree = WIPE_ON_FREE;

/// Needles are kept masked, so the search itself holds no copy of what it looks for.
const MASK: u8 = 0xA5;

fn masked(bytes: &[u8]) -> Vec<u8> {
    bytes.iter().map(|b| b ^ MASK).collect()
}

/// Writable mappings of this process: (start, end, name).
fn writable_regions() -> Vec<(u64, u64, String)> {
    let maps = std::fs::read_to_string("/proc/self/maps").expect("maps");
    maps.lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let range = parts.next()?;
            let perms = parts.next()?;
            let name = parts.nth(3).unwrap_or("").to_owned();
            if !perms.starts_with("rw") || name.starts_with("[v") {
                return None;
            }
            let (a, b) = range.split_once('-')?;
            Some((u64::from_str_radix(a, 16).ok()?, u64::from_str_radix(b, 16).ok()?, name))
        })
        .collect()
}

/// Where each masked needle occurs in the process's writable memory.
fn find_in_process(needles: &[(&str, Vec<u8>)]) -> Vec<String> {
    let mem = File::open("/proc/self/mem").expect("/proc/self/mem");
    let longest = needles.iter().map(|(_, n)| n.len()).max().unwrap_or(0);
    let mut buf = vec![0u8; 1 << 20];
    let mut hits = Vec::new();
    for (start, end, name) in writable_regions() {
        let buf_range = buf.as_ptr() as u64..buf.as_ptr() as u64 + buf.len() as u64;
        if buf_range.start >= start && buf_range.end <= end && end - start == buf.len() as u64 {
            continue; // the scanner's own buffer
        }
        let mut at = start;
        while at < end {
            let len = ((end - at) as usize).min(buf.len());
            let Ok(read) = mem.read_at(&mut buf[..len], at) else { break };
            if read == 0 {
                break;
            }
            let window = &buf[..read];
            for (what, needle) in needles {
                let first = needle[0] ^ MASK;
                let found = window
                    .windows(needle.len())
                    .any(|w| w[0] == first && w.iter().zip(needle).all(|(b, n)| b ^ MASK == *n));
                if found {
                    let local = 0u8;
                    let sp = &local as *const u8 as u64;
                    let stack =
                        if (start..end).contains(&sp) { " (this thread's stack)" } else { "" };
                    hits.push(format!(
                        "{what} in {name:?}{stack} near {at:#x} [{start:#x}-{end:#x}]"
                    ));
                }
            }
            if read < len || at + read as u64 >= end {
                break;
            }
            at += (read - longest.min(read)) as u64 + 1;
        }
    }
    hits
}

fn random_word() -> String {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).expect("randomness");
    bytes.iter().map(|b| char::from(b'a' + b % 26)).collect()
}

#[test]
fn switching_resident_leaves_no_trace_of_the_previous_one_in_memory() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let keys = FileKeyStore::new(tmp.path().join("platform.keys"));
    let config = KioskConfig { pin_cost: PinCost::MINIMUM, ..Default::default() };
    let kiosk = Kiosk::open(&tmp.path().join("kiosk"), &keys, config).expect("open");
    let admin = kiosk.set_up("Morag Admin", "482913").expect("set up");
    kiosk.log_in(&admin.id, "482913").expect("log in");
    let profile = |name: &str| ResidentProfile {
        display_name: name.into(),
        language: "en-GB".into(),
        ..Default::default()
    };
    let one = kiosk.add_resident(&profile("Resident One"), None).expect("add");
    let two = kiosk.add_resident(&profile("Resident Two"), None).expect("add");

    // Resident one tells a story with a word found nowhere else, and adds a photo.
    let word = random_word();
    let vault = kiosk.open_resident(&one).expect("open one");
    let photo = tmp.path().join("photo.png");
    let seed = word.as_bytes().to_vec();
    image::RgbImage::from_fn(640, 480, |x, y| {
        let s = seed[((x / 7 + y / 5) as usize) % seed.len()];
        image::Rgb([s.wrapping_mul(x as u8), s ^ y as u8, (x ^ y) as u8])
    })
    .save(&photo)
    .expect("png");
    let keys_of_one = vault.keys();
    let (story, thumb, (store_key, store_key_hex)) = vault
        .with(|g| {
            let text = format!("We walked to {word} every Sunday after chapel.");
            let memory = g.add_text_memory("Sundays", &text, None)?;
            let read_back = g.memory_detail(memory.memory.id)?;
            assert!(read_back.segments[0].text().contains(&word));
            let imported = g.import_photo(memory.memory.id, &photo)?;
            let thumb = g.photo_rendition(
                imported.photo.media.id,
                heirloom_core::graph::Rendition::Thumb256,
            )?;
            let key = keys_of_one.load(DATABASE_KEY_NAME)?.expect("store key");
            let key = (masked(key.expose()), masked(key.to_hex().as_bytes()));
            let hits = g.search(&word, 10)?;
            assert_eq!(hits.len(), 1, "found by full-text search");
            Ok((
                masked(word.as_bytes()),
                masked(&thumb[thumb.len() / 2..thumb.len() / 2 + 48]),
                key,
            ))
        })
        .expect("resident one's story");
    drop(keys_of_one);
    drop(word);
    drop(seed);
    std::fs::remove_file(&photo).expect("remove the source photo");
    let needles = [
        ("a word of the transcript", story),
        ("thumbnail", thumb),
        ("database key", store_key),
        ("database key (hex)", store_key_hex),
    ];

    // The search works: with the vault open, the key is in memory (SQLCipher holds it).
    let before = find_in_process(&needles);
    assert!(
        before.iter().any(|h| h.starts_with("database key")),
        "the scan finds a live key: {before:?}"
    );

    // Switch to resident two and do some work there.
    drop(vault);
    let vault_two = kiosk.open_resident(&two).expect("open two");
    vault_two
        .with(|g| Ok(g.add_text_memory("Market day", "Eggs were a penny each.", None)?.memory.id))
        .expect("resident two's story");

    let after = find_in_process(&needles);
    assert!(after.is_empty(), "traces of resident one after the switch: {after:?}");
}
