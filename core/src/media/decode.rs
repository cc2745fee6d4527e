//! Decoding untrusted images in bounded memory, upright; thumbnails and clean copies.

use super::exif::{self, PhotoMetadata};
use super::MediaError;
use image::error::{ImageError, LimitErrorKind};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use serde::Serialize;
use std::io::Cursor;

/// Longest side accepted, in pixels (a 48 MP phone photo is 8,000 x 6,000).
pub const MAX_SIDE: u32 = 12_000;
/// Most memory one decode may take: a 12,000 x 8,000 RGB photo needs 288 MB.
const MAX_DECODE_BYTES: u64 = 320 << 20;
/// Thumbnail sizes (longest side): a grid tile and a full-screen preview.
pub const THUMB_SIZES: [u32; 2] = [256, 1024];

/// The container a photo came in, read from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoFormat {
    Jpeg,
    Png,
    WebP,
}

impl PhotoFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            PhotoFormat::Jpeg => "jpeg",
            PhotoFormat::Png => "png",
            PhotoFormat::WebP => "webp",
        }
    }
}

/// A decoded photo: pixels upright (EXIF orientation applied) and what its metadata says.
pub struct DecodedPhoto {
    pub image: DynamicImage,
    pub format: PhotoFormat,
    /// The EXIF orientation that was applied (1 = none).
    pub orientation: u8,
    pub metadata: PhotoMetadata,
}

impl std::fmt::Debug for DecodedPhoto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecodedPhoto")
            .field("width", &self.image.width())
            .field("height", &self.image.height())
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

fn map_error(e: ImageError) -> MediaError {
    match e {
        ImageError::Limits(l) => match l.kind() {
            LimitErrorKind::InsufficientMemory => {
                MediaError::OverBudget { max_mib: MAX_DECODE_BYTES >> 20 }
            }
            _ => MediaError::TooLarge { width: 0, height: 0, max: MAX_SIDE },
        },
        ImageError::Unsupported(_) => MediaError::Unsupported,
        ImageError::Encoding(_) => MediaError::Encode,
        _ => MediaError::Corrupt,
    }
}

fn orientation_code(o: image::metadata::Orientation) -> u8 {
    use image::metadata::Orientation as O;
    match o {
        O::NoTransforms => 1,
        O::FlipHorizontal => 2,
        O::Rotate180 => 3,
        O::FlipVertical => 4,
        O::Rotate90FlipH => 5,
        O::Rotate90 => 6,
        O::Rotate270FlipH => 7,
        O::Rotate270 => 8,
    }
}

/// A JPEG must end in its end-of-image marker (trailing bytes after it are tolerated, as
/// cameras append them): the decoder would otherwise fill a cut-off photo with grey.
fn jpeg_is_whole(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(64 * 1024)..];
    tail.windows(2).any(|w| w == [0xFF, 0xD9])
}

/// Decodes a JPEG, PNG or WebP image from `bytes` (the format is read from the content, not a
/// name), refusing anything over [`MAX_SIDE`] pixels a side or [`MAX_DECODE_BYTES`] of memory
/// before allocating it, and turns it upright by its EXIF orientation.
pub fn decode(bytes: &[u8]) -> Result<DecodedPhoto, MediaError> {
    let (format, image_format) = match image::guess_format(bytes) {
        Ok(ImageFormat::Jpeg) => (PhotoFormat::Jpeg, ImageFormat::Jpeg),
        Ok(ImageFormat::Png) => (PhotoFormat::Png, ImageFormat::Png),
        Ok(ImageFormat::WebP) => (PhotoFormat::WebP, ImageFormat::WebP),
        _ => return Err(MediaError::Unsupported),
    };
    if format == PhotoFormat::Jpeg && !jpeg_is_whole(bytes) {
        return Err(MediaError::Corrupt);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format);
    // The header is read with no limits so the dimensions can be reported; nothing is
    // allocated for pixels until the checks below pass.
    reader.no_limits();
    let mut decoder = reader.into_decoder().map_err(map_error)?;
    let (width, height) = decoder.dimensions();
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(MediaError::TooLarge { width, height, max: MAX_SIDE });
    }
    if width == 0 || height == 0 {
        return Err(MediaError::Corrupt);
    }
    if decoder.total_bytes() > MAX_DECODE_BYTES {
        return Err(MediaError::OverBudget { max_mib: MAX_DECODE_BYTES >> 20 });
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    decoder.set_limits(limits).map_err(map_error)?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let metadata = match decoder.exif_metadata() {
        Ok(Some(raw)) => exif::parse(&raw),
        _ => PhotoMetadata::default(),
    };
    let mut image = DynamicImage::from_decoder(decoder).map_err(map_error)?;
    image.apply_orientation(orientation);
    Ok(DecodedPhoto { image, format, orientation: orientation_code(orientation), metadata })
}

/// The photo scaled to fit `size` x `size` (never enlarged), as a JPEG of quality 80.
pub fn thumbnail(image: &DynamicImage, size: u32) -> Result<(DynamicImage, Vec<u8>), MediaError> {
    let scaled = if image.width().max(image.height()) > size {
        image.thumbnail(size, size)
    } else {
        image.clone()
    };
    let rgb = DynamicImage::ImageRgb8(scaled.to_rgb8());
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80);
    rgb.write_with_encoder(encoder).map_err(|_| MediaError::Encode)?;
    Ok((rgb, out))
}

/// What may leave the device: the upright pixels re-encoded, so no EXIF, XMP, IPTC, GPS,
/// maker notes, ICC profile or comment can survive (the encoders write none). JPEG of quality
/// 90, or PNG when the photo has transparency. Returns the bytes and their file extension.
pub fn clean_copy(image: &DynamicImage) -> Result<(Vec<u8>, &'static str), MediaError> {
    let mut out = Vec::new();
    if image.color().has_alpha() {
        let rgba = DynamicImage::ImageRgba8(image.to_rgba8());
        rgba.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .map_err(|_| MediaError::Encode)?;
        Ok((out, "png"))
    } else {
        let rgb = DynamicImage::ImageRgb8(image.to_rgb8());
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
        rgb.write_with_encoder(encoder).map_err(|_| MediaError::Encode)?;
        Ok((out, "jpg"))
    }
}
