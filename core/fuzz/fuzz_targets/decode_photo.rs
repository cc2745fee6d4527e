//! Feeds arbitrary bytes to the photo decoder (format sniffing, limits, EXIF, orientation) and,
//! for what decodes, to the thumbnail, hash and clean-copy code. Seed the corpus with phone
//! JPEGs, PNGs and WebPs. The same body runs on stable, on mutated files, in
//! `media::tests::mutated_images_never_panic_the_decoder`.
#![no_main]

use heirloom_core::media;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(photo) = media::decode(data) {
        if let Ok((small, _)) = media::thumbnail(&photo.image, 64) {
            let _ = media::dhash(&small);
        }
        let _ = media::clean_copy(&photo.image);
    }
});
