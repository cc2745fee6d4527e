//! Photos: decoding untrusted images within limits, upright by their EXIF orientation; the EXIF
//! date and GPS position; thumbnails; a perceptual hash for near-duplicates; clean copies with
//! no metadata for anything that leaves the device; and encryption at rest for every stored
//! file (photos, thumbnails, videos).
//!
//! Formats: JPEG, PNG and WebP, recognised by their content, never by the file name. HEIC
//! photos arrive already converted to JPEG by the shells (iOS and Android decode HEIC natively;
//! no free HEIC decoder is portable enough to bundle).

mod decode;
mod exif;
mod mp4meta;
mod phash;
mod vault;

#[cfg(test)]
pub(crate) mod tests;

pub use decode::{clean_copy, decode, thumbnail, DecodedPhoto, PhotoFormat, MAX_SIDE, THUMB_SIZES};
pub use exif::{PhotoMetadata, TakenAt};
pub use mp4meta::{metadata_boxes, MetadataBox, StripMetadata};
pub use phash::{dhash, hamming, NEAR_DUPLICATE_BITS};
pub use vault::{
    open_file, plaintext_len, seal_file, SealedFile, VaultReader, VaultWriter, MEDIA_KEY_PURPOSE,
};

/// What went wrong with a photo or a stored media file. Never names the file or its content.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// A video that is not an MP4/MOV (ISO base media) file: its metadata cannot be found, so
    /// it does not leave the device.
    #[error("not an MP4 or MOV video: its metadata cannot be removed")]
    UnsupportedVideo,
    /// Not a JPEG, PNG or WebP image, whatever the file is called.
    #[error("not a supported image (JPEG, PNG or WebP)")]
    Unsupported,
    /// Wider or taller than [`MAX_SIDE`] pixels.
    #[error("image is {width}x{height} pixels; the limit is {max} per side")]
    TooLarge { width: u32, height: u32, max: u32 },
    /// Decoding would need more memory than the budget (a decompression bomb, or simply huge).
    #[error("image needs more than {max_mib} MiB to decode")]
    OverBudget { max_mib: u64 },
    /// Cut short or damaged.
    #[error("image is damaged or cut short")]
    Corrupt,
    /// A stored file failed authentication: damaged, tampered with, or another key.
    #[error("stored media file failed authentication")]
    Tampered,
    /// Not one of our encrypted media files.
    #[error("not an encrypted media file: {reason}")]
    NotAVaultFile { reason: &'static str },
    #[error("cannot {op}: {kind}")]
    Io { op: &'static str, kind: std::io::ErrorKind },
    /// Encoding a thumbnail or clean copy failed.
    #[error("cannot encode the image")]
    Encode,
}

impl MediaError {
    pub(crate) fn io(op: &'static str) -> impl Fn(std::io::Error) -> MediaError {
        move |e| MediaError::Io { op, kind: e.kind() }
    }
}
