//! Photos sub-object: import (JPEG, PNG or WebP; the shells convert HEIC to JPEG first, with
//! the platform's decoder), what the import read, and decrypted thumbnails to show.

use crate::session::Session;
use crate::ApiError;
use heirloom_core::graph::{ImportedPhoto, Media, PhotoInfo, Rendition};
use std::path::Path;
use std::sync::Arc;

/// What is known about a photo.
#[derive(Debug, Clone, uniffi::Record)]
pub struct PhotoDetails {
    pub media: Media,
    /// "jpeg", "png" or "webp".
    pub format: Option<String>,
    /// Upright size in pixels.
    pub width: u32,
    pub height: u32,
    /// From the photo's EXIF GPS block; kept on the device only, never uploaded.
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// The place the position names (nearest city within 30 km), if any.
    pub place: Option<String>,
    /// Other photos that look the same.
    pub near_duplicates: Vec<i64>,
}

impl From<PhotoInfo> for PhotoDetails {
    fn from(p: PhotoInfo) -> Self {
        Self {
            media: p.media,
            format: p.format.map(|f| f.as_str().to_owned()),
            width: p.width,
            height: p.height,
            latitude: p.gps.map(|g| g.0),
            longitude: p.gps.map(|g| g.1),
            place: p.place,
            near_duplicates: p.near_duplicates,
        }
    }
}

/// The result of importing a photo.
#[derive(Debug, Clone, uniffi::Record)]
pub struct PhotoImport {
    pub photo: PhotoDetails,
    /// The same file was imported before; it is now also attached to this memory.
    pub already_stored: bool,
    /// The memory had no date and took the photo's.
    pub dated_memory: bool,
}

impl From<ImportedPhoto> for PhotoImport {
    fn from(p: ImportedPhoto) -> Self {
        Self {
            photo: p.photo.into(),
            already_stored: p.already_stored,
            dated_memory: p.dated_memory,
        }
    }
}

/// Which derived image to fetch.
#[derive(Debug, Clone, Copy, uniffi::Enum)]
pub enum PhotoSize {
    /// At most 256 px on the longest side (grids).
    Small,
    /// At most 1024 px (full screen).
    Large,
    /// Full size, upright, with no metadata (what sharing sends).
    Clean,
}

#[derive(Debug, uniffi::Object)]
pub struct Photos {
    session: Arc<Session>,
}

impl Photos {
    pub(crate) fn new(session: Arc<Session>) -> Self {
        Self { session }
    }
}

#[uniffi::export]
impl Photos {
    /// Imports the photo file at `path` into memory `memory_id`: stored encrypted with
    /// thumbnails; an undated memory takes the photo's EXIF date. Bad files get
    /// `InvalidInput` (not an image, too large) or `Corrupt` (damaged).
    pub fn import(&self, memory_id: i64, path: String) -> Result<PhotoImport, ApiError> {
        self.session.with(|g| g.import_photo(memory_id, Path::new(&path))).map(Into::into)
    }

    pub fn details(&self, media_id: i64) -> Result<PhotoDetails, ApiError> {
        self.session.with(|g| g.photo(media_id)).map(Into::into)
    }

    /// The decrypted JPEG (or PNG, for the clean copy of a photo with transparency) bytes.
    pub fn image(&self, media_id: i64, size: PhotoSize) -> Result<Vec<u8>, ApiError> {
        let kind = match size {
            PhotoSize::Small => Rendition::Thumb256,
            PhotoSize::Large => Rendition::Thumb1024,
            PhotoSize::Clean => Rendition::Clean,
        };
        self.session.with(|g| g.photo_rendition(media_id, kind))
    }
}
