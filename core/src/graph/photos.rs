//! Photos in the graph: import (decoded within limits, upright, encrypted at rest with two
//! thumbnails and a metadata-free copy), the EXIF date as the memory's time evidence, the GPS
//! position kept for places, and near-duplicates by perceptual hash.

use super::memories::load_memory;
use super::model::*;
use super::{now_ms, GraphError, MemoryGraph};
use crate::media::{self, MediaError, PhotoFormat, MEDIA_KEY_PURPOSE};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use std::io::Read;

/// Largest photo file accepted (a 48 MP JPEG is about 25 MB).
pub const MAX_PHOTO_FILE_BYTES: u64 = 64 << 20;

/// A derived file of a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rendition {
    /// At most 256 px on its longest side, JPEG.
    Thumb256,
    /// At most 1024 px, JPEG.
    Thumb1024,
    /// Full size, upright, re-encoded with no metadata: what leaves the device.
    Clean,
}

impl Rendition {
    fn as_str(self) -> &'static str {
        match self {
            Rendition::Thumb256 => "thumb_256",
            Rendition::Thumb1024 => "thumb_1024",
            Rendition::Clean => "clean",
        }
    }
}

/// What the import read from a photo.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhotoInfo {
    pub media: Media,
    pub format: Option<PhotoFormat>,
    /// Upright size in pixels.
    pub width: u32,
    pub height: u32,
    /// (latitude, longitude) from the photo's EXIF GPS block, kept on the device only.
    pub gps: Option<(f64, f64)>,
    /// The place the position names (the nearest gazetteer city within 30 km), as the
    /// graph's place entity; also `media.place_entity_id`.
    pub place: Option<String>,
    /// Other photos that look the same (perceptual hash within a few bits).
    pub near_duplicates: Vec<MediaId>,
}

/// The result of importing a photo.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportedPhoto {
    pub photo: PhotoInfo,
    /// The same file was imported before: nothing new was stored, it is now also attached here.
    pub already_stored: bool,
    /// The memory had no date and took the photo's (as inferred evidence).
    pub dated_memory: bool,
}

/// width, height, format, phash, latitude, longitude.
type PhotoRow = (Option<u32>, Option<u32>, Option<String>, Option<i64>, Option<f64>, Option<f64>);

fn random_name() -> Result<String, GraphError> {
    let mut id = [0u8; 16];
    getrandom::fill(&mut id).map_err(|_| GraphError::invalid("no system randomness"))?;
    Ok(id.iter().map(|b| format!("{b:02x}")).collect())
}

fn format_from(text: Option<String>) -> Option<PhotoFormat> {
    match text.as_deref() {
        Some("jpeg") => Some(PhotoFormat::Jpeg),
        Some("png") => Some(PhotoFormat::Png),
        Some("webp") => Some(PhotoFormat::WebP),
        _ => None,
    }
}

impl MemoryGraph {
    pub(crate) fn media_key(&self) -> crate::keystore::SecretKey {
        self.db.derive_key(MEDIA_KEY_PURPOSE)
    }

    /// Imports the photo at `source` (JPEG, PNG or WebP, recognised by content; HEIC must be
    /// converted by the shell first) and attaches it to `memory`. The original, two thumbnails
    /// and a metadata-free copy are stored encrypted. A memory without a date takes the
    /// photo's EXIF date as inferred evidence; the EXIF GPS position is kept on the photo.
    /// The same file imported twice is stored once.
    pub fn import_photo(
        &self,
        memory: MemoryId,
        source: &std::path::Path,
    ) -> Result<ImportedPhoto, GraphError> {
        let io = |op: &'static str| move |e: std::io::Error| MediaError::Io { op, kind: e.kind() };
        let file = std::fs::File::open(source).map_err(io("read the photo"))?;
        let mut bytes = Vec::new();
        file.take(MAX_PHOTO_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(io("read the photo"))?;
        if bytes.len() as u64 > MAX_PHOTO_FILE_BYTES {
            return Err(GraphError::invalid("photo file is larger than 64 MiB"));
        }
        self.db.read(|tx| load_memory(tx, memory).map(|_| ()))?;
        let hash: String = {
            use sha2::Digest;
            sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
        };
        let known: Option<MediaId> = self.db.read(|tx| {
            Ok::<_, GraphError>(
                tx.query_row("SELECT id FROM media WHERE content_hash = ?1", [&hash], |r| r.get(0))
                    .optional()?,
            )
        })?;
        if let Some(id) = known {
            self.db.write(|tx| {
                load_memory(tx, memory)?;
                tx.execute(
                    "INSERT OR IGNORE INTO memory_media (memory_id, media_id) VALUES (?1, ?2)",
                    [memory, id],
                )?;
                Ok::<_, GraphError>(())
            })?;
            return Ok(ImportedPhoto {
                photo: self.photo(id)?,
                already_stored: true,
                dated_memory: false,
            });
        }

        let photo = media::decode(&bytes).map_err(GraphError::Media)?;
        let (w, h) = (photo.image.width(), photo.image.height());
        let (small, small_jpeg) = media::thumbnail(&photo.image, media::THUMB_SIZES[0])?;
        let (_, large_jpeg) = media::thumbnail(&photo.image, media::THUMB_SIZES[1])?;
        let (clean, _) = media::clean_copy(&photo.image)?;
        let phash = media::dhash(&small);
        drop(small);

        let key = self.media_key();
        let name = random_name()?;
        let dir = self.data_dir.join(super::media::MEDIA_DIR);
        let original = format!("{}/{name}.hlm", super::media::MEDIA_DIR);
        let mut stored = vec![original.clone()];
        let mut renditions = Vec::new();
        let write = |relative: &str, data: &[u8]| -> Result<u64, GraphError> {
            Ok(media::seal_file(&key, data, &self.data_dir.join(relative))?.0)
        };
        let result = (|| -> Result<(), GraphError> {
            std::fs::create_dir_all(&dir).map_err(io("create the media folder"))?;
            write(&original, &bytes)?;
            for (kind, data) in [
                (Rendition::Thumb256, &small_jpeg),
                (Rendition::Thumb1024, &large_jpeg),
                (Rendition::Clean, &clean),
            ] {
                let relative = format!("{}/{name}-{}.hlm", super::media::MEDIA_DIR, kind.as_str());
                stored.push(relative.clone());
                let n = write(&relative, data)?;
                renditions.push((kind, relative, n));
            }
            Ok(())
        })();
        let taken_at_ms = photo.metadata.taken_at.and_then(|t| t.unix_ms());
        let gps = photo.metadata.gps;
        let nearest = gps.and_then(|(lat, lon)| self.extractor()?.nearest_place(lat, lon));
        let inserted = result.and_then(|()| {
            self.db.write(|tx| {
                let detail = load_memory(tx, memory)?;
                tx.execute(
                    "INSERT INTO media (kind, path, content_hash, taken_at_ms, status, created_at_ms, \
                     width, height, format, phash, gps_lat, gps_lon, encrypted) \
                     VALUES ('photo', ?1, ?2, ?3, 'confirmed', ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1)",
                    params![
                        original,
                        hash,
                        taken_at_ms,
                        now_ms(),
                        w,
                        h,
                        photo.format.as_str(),
                        phash as i64,
                        gps.map(|g| g.0),
                        gps.map(|g| g.1)
                    ],
                )?;
                let id = tx.last_insert_rowid();
                if let Some(near) = &nearest {
                    // The place the photo was taken: an existing place entity of that name, or
                    // a new inferred one, as extraction would make for "in Paris".
                    let norm = super::codec::normalize_name(&near.place.name);
                    let place = match super::facts::find_by_norm(tx, EntityKind::Place, &norm)? {
                        Some(existing) => existing,
                        None => super::facts::insert_extracted_entity(
                            tx,
                            EntityKind::Place,
                            &near.place.name,
                            &norm,
                            &crate::extract::Fact::Place {
                                name: near.place.name.clone(),
                                place: crate::extract::PlaceKind::City,
                                country: Some(near.place.country.clone()),
                            },
                        )?,
                    };
                    tx.execute("UPDATE media SET place_entity_id = ?2 WHERE id = ?1", [id, place])?;
                }
                for (kind, path, n) in &renditions {
                    tx.execute(
                        "INSERT INTO media_rendition (media_id, kind, path, bytes) VALUES (?1, ?2, ?3, ?4)",
                        params![id, kind.as_str(), path, *n as i64],
                    )?;
                }
                tx.execute(
                    "INSERT INTO memory_media (memory_id, media_id) VALUES (?1, ?2)",
                    [memory, id],
                )?;
                // The photo's date is evidence of when the memory happened, unless the teller
                // (or an earlier photo) already said.
                let dated = match (detail.about_when, taken_at_ms) {
                    (None, Some(ms)) => {
                        let (year, month, day) = crate::clock::civil(ms);
                        let about = super::codec::encode_about(Some(AboutWhen::Day {
                            year,
                            month: month as u8,
                            day: day as u8,
                        }))?;
                        tx.execute(
                            "UPDATE memory SET about_precision = ?2, about_from = ?3, about_to = ?4, \
                             about_stage = ?5, about_sort = ?6, about_status = 'inferred', \
                             updated_at_ms = ?7 WHERE id = ?1",
                            params![memory, about.precision, about.from, about.to, about.stage, about.sort, now_ms()],
                        )?;
                        true
                    }
                    _ => false,
                };
                Ok::<_, GraphError>((id, dated))
            })
        });
        match inserted {
            Ok((id, dated_memory)) => {
                Ok(ImportedPhoto { photo: self.photo(id)?, already_stored: false, dated_memory })
            }
            Err(e) => {
                for relative in stored {
                    let _ = std::fs::remove_file(self.data_dir.join(relative));
                }
                Err(e)
            }
        }
    }

    /// What is known about photo `id`, with its near-duplicates.
    pub fn photo(&self, id: MediaId) -> Result<PhotoInfo, GraphError> {
        self.db.read(|tx| {
            let row: Option<PhotoRow> = tx
                .query_row(
                    "SELECT width, height, format, phash, gps_lat, gps_lon FROM media WHERE id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
                )
                .optional()?;
            let (width, height, format, phash, lat, lon) =
                row.ok_or(GraphError::NotFound { what: "media", id })?;
            let media = super::media::load_media(tx, id)?;
            let place = match media.place_entity_id {
                Some(entity) => Some(super::entities::load_entity(tx, entity)?.display_name),
                None => None,
            };
            let mut near_duplicates = Vec::new();
            if let Some(mine) = phash {
                let mut stmt = tx.prepare_cached(
                    "SELECT id, phash FROM media WHERE phash IS NOT NULL AND id != ?1 ORDER BY id",
                )?;
                let rows = stmt.query_map([id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
                for row in rows {
                    let (other, hash) = row?;
                    if media::hamming(mine as u64, hash as u64) <= media::NEAR_DUPLICATE_BITS {
                        near_duplicates.push(other);
                    }
                }
            }
            Ok(PhotoInfo {
                media,
                format: format_from(format),
                width: width.unwrap_or(0),
                height: height.unwrap_or(0),
                gps: lat.zip(lon),
                place,
                near_duplicates,
            })
        })
    }

    /// The decrypted bytes of one of photo `id`'s derived files (a thumbnail to show, or the
    /// clean copy to share).
    pub fn photo_rendition(&self, id: MediaId, kind: Rendition) -> Result<Vec<u8>, GraphError> {
        let path: Option<String> = self.db.read(|tx| {
            Ok::<_, GraphError>(
                tx.query_row(
                    "SELECT path FROM media_rendition WHERE media_id = ?1 AND kind = ?2",
                    params![id, kind.as_str()],
                    |r| r.get(0),
                )
                .optional()?,
            )
        })?;
        let path = path.ok_or(GraphError::NotFound { what: "photo rendition", id })?;
        let full = self
            .data_file(&path)
            .ok_or_else(|| GraphError::invalid("rendition path is not a file reference"))?;
        let mut out = Vec::new();
        media::open_file(&self.media_key(), &full)?.read_to_end(&mut out).map_err(|e| {
            GraphError::Media(MediaError::Io { op: "read a media file", kind: e.kind() })
        })?;
        Ok(out)
    }

    /// Opens a media item's original file for reading, decrypting it if it is stored
    /// encrypted (everything imported since photos arrived is).
    pub fn open_media(&self, id: MediaId) -> Result<Box<dyn Read + Send>, GraphError> {
        let (path, encrypted): (String, bool) = self.db.read(|tx| {
            tx.query_row("SELECT path, encrypted FROM media WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?
            .ok_or(GraphError::NotFound { what: "media", id })
        })?;
        let full = self
            .data_file(&path)
            .ok_or_else(|| GraphError::invalid("media path is not a file reference"))?;
        if encrypted {
            Ok(Box::new(media::open_file(&self.media_key(), &full)?))
        } else {
            let file = std::fs::File::open(&full).map_err(|e| {
                GraphError::Media(MediaError::Io { op: "open a media file", kind: e.kind() })
            })?;
            Ok(Box::new(std::io::BufReader::new(file)))
        }
    }
}
