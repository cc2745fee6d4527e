//! Feeds arbitrary bytes to the age header parser and payload reader. Seed the corpus with
//! `heirloom seal --recipient $(the key below's age1…) …` outputs and the C2SP vectors.
#![no_main]

use heirloom_core::keystore::SecretKey;
use heirloom_core::seal::{fuzz_open, Identity};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let identity = Identity::from_secret(&SecretKey::from_bytes([7; 32]));
    fuzz_open(data, &[identity]);
});
