//! A perceptual hash to spot the same photo twice (re-saved, resized, recompressed): the
//! difference hash (dHash) of Krawetz — 64 bits, one per pair of neighbouring cells of a 9x8
//! grey thumbnail, set when brightness falls from left to right.

use image::imageops::FilterType;
use image::DynamicImage;

/// Photos whose hashes differ in at most this many bits are offered as near-duplicates.
pub const NEAR_DUPLICATE_BITS: u32 = 10;

/// The 64-bit difference hash of `image` (pass a thumbnail: it only needs 9x8 pixels).
pub fn dhash(image: &DynamicImage) -> u64 {
    let grey = image.resize_exact(9, 8, FilterType::Triangle).to_luma8();
    let mut hash = 0u64;
    for y in 0..8 {
        for x in 0..8 {
            let left = grey.get_pixel(x, y)[0];
            let right = grey.get_pixel(x + 1, y)[0];
            hash = (hash << 1) | u64::from(left > right);
        }
    }
    hash
}

/// Bits that differ between two hashes.
pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}
