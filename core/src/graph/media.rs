//! File references: recordings behind voice memories, and photos and videos attached to
//! memories. Paths are relative to the data directory so the directory can move.

use super::codec::check_text;
use super::memories::load_memory;
use super::model::*;
use super::{now_ms, GraphError, MemoryGraph};
use rusqlite::{params, OptionalExtension, Row, Transaction};

/// Folder of the data directory that recordings live in.
pub const AUDIO_DIR: &str = "audio";
/// Folder of the data directory that photos and videos live in.
pub const MEDIA_DIR: &str = "media";

/// True if `path` is `dir/…`: relative, inside `dir`, with no `..`. Anything else (the database
/// itself, the key file, paths leaving the data directory) can never be referenced, so deleting
/// a memory can never delete it.
pub(crate) fn is_file_reference(path: &str, dir: &str) -> bool {
    let mut parts = std::path::Path::new(path).components();
    let first = parts.next();
    let rest: Vec<_> = parts.collect();
    first == Some(std::path::Component::Normal(dir.as_ref()))
        && !rest.is_empty()
        && rest.iter().all(|c| matches!(c, std::path::Component::Normal(_)))
}

fn check_file_reference(path: &str, dir: &'static str) -> Result<(), GraphError> {
    check_text(path, "file path", 1024)?;
    if !is_file_reference(path, dir) {
        return Err(GraphError::invalid(format!(
            "file path must be inside the data directory's {dir}/"
        )));
    }
    Ok(())
}

pub(crate) const RECORDING_COLUMNS: &str = "id, memory_id, audio_path, duration_ms, sample_rate, \
     transcript_model, transcript_language";

pub(crate) fn recording_from_row(row: &Row<'_>) -> rusqlite::Result<Recording> {
    Ok(Recording {
        id: row.get(0)?,
        memory_id: row.get(1)?,
        audio_path: row.get(2)?,
        duration_ms: row.get(3)?,
        sample_rate: row.get(4)?,
        transcript_model: row.get(5)?,
        transcript_language: row.get(6)?,
    })
}

pub(crate) fn load_recording(
    tx: &Transaction<'_>,
    id: RecordingId,
) -> Result<Recording, GraphError> {
    tx.prepare_cached(&format!("SELECT {RECORDING_COLUMNS} FROM recording WHERE id = ?1"))?
        .query_row([id], recording_from_row)
        .optional()?
        .ok_or(GraphError::NotFound { what: "recording", id })
}

pub(crate) fn load_recordings(
    tx: &Transaction<'_>,
    memory: MemoryId,
) -> Result<Vec<Recording>, GraphError> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {RECORDING_COLUMNS} FROM recording WHERE memory_id = ?1 ORDER BY id"
    ))?;
    let rows = stmt.query_map([memory], recording_from_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

const MEDIA_COLUMNS: &str =
    "m.id, m.kind, m.path, m.content_hash, m.taken_at_ms, m.place_entity_id, m.status";

fn media_from_row(row: &Row<'_>) -> rusqlite::Result<Media> {
    Ok(Media {
        id: row.get(0)?,
        kind: row.get(1)?,
        path: row.get(2)?,
        content_hash: row.get(3)?,
        taken_at_ms: row.get(4)?,
        place_entity_id: row.get(5)?,
        status: row.get(6)?,
    })
}

pub(crate) fn load_media(tx: &Transaction<'_>, id: MediaId) -> Result<Media, GraphError> {
    tx.prepare_cached(&format!("SELECT {MEDIA_COLUMNS} FROM media m WHERE m.id = ?1"))?
        .query_row([id], media_from_row)
        .optional()?
        .ok_or(GraphError::NotFound { what: "media", id })
}

pub(crate) fn load_memory_media(
    tx: &Transaction<'_>,
    memory: MemoryId,
) -> Result<Vec<Media>, GraphError> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {MEDIA_COLUMNS} FROM media m JOIN memory_media mm ON mm.media_id = m.id \
         WHERE mm.memory_id = ?1 ORDER BY m.id"
    ))?;
    let rows = stmt.query_map([memory], media_from_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

impl MemoryGraph {
    /// Records that `audio_path` (relative to the data directory) holds a memory's audio.
    pub fn add_recording(
        &self,
        memory: MemoryId,
        audio_path: &str,
        duration_ms: i64,
        sample_rate: u32,
    ) -> Result<Recording, GraphError> {
        check_file_reference(audio_path, AUDIO_DIR)?;
        if duration_ms < 0 || sample_rate == 0 {
            return Err(GraphError::invalid("recording needs duration >= 0 and sample rate > 0"));
        }
        self.db.write(|tx| {
            load_memory(tx, memory)?;
            tx.execute(
                "INSERT INTO recording (memory_id, audio_path, duration_ms, sample_rate, created_at_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![memory, audio_path, duration_ms, sample_rate, now_ms()],
            )?;
            let id = tx.last_insert_rowid();
            load_recording(tx, id)
        })
    }

    /// Stores a photo or video file in the data directory, encrypted (`media/<random>.<ext>.hlm`,
    /// streamed in constant memory, written to a scratch file and renamed), and attaches it to
    /// `memory`. The same content is stored once. Photos should go through
    /// [`MemoryGraph::import_photo`], which also reads them and makes thumbnails.
    pub fn import_media_file(
        &self,
        memory: MemoryId,
        source: &std::path::Path,
        kind: MediaKind,
    ) -> Result<Media, GraphError> {
        let input = std::fs::File::open(source).map_err(|e| {
            GraphError::Media(crate::media::MediaError::Io {
                op: "read the media file",
                kind: e.kind(),
            })
        })?;
        let ext: String = source
            .extension()
            .and_then(|e| e.to_str())
            .filter(|e| e.len() <= 8 && e.bytes().all(|b| b.is_ascii_alphanumeric()))
            .unwrap_or("bin")
            .to_ascii_lowercase();
        let mut file = self.new_media_file(&ext)?;
        let mut input = std::io::BufReader::with_capacity(1 << 16, input);
        std::io::copy(&mut input, &mut file).map_err(|e| {
            GraphError::Media(crate::media::MediaError::Io {
                op: "store a media file",
                kind: e.kind(),
            })
        })?;
        self.attach_media_file(memory, file, kind)
    }

    /// Starts a new encrypted media file (`media/<random>.<ext>.hlm`): write the plaintext to
    /// it, then [`MemoryGraph::attach_media_file`]. Dropped unattached, it leaves nothing.
    pub fn new_media_file(&self, ext: &str) -> Result<NewMediaFile, GraphError> {
        let mut id = [0u8; 16];
        getrandom::fill(&mut id).map_err(|_| GraphError::invalid("no system randomness"))?;
        let name: String = id.iter().map(|b| format!("{b:02x}")).collect();
        // The original extension stays visible (`.mov.hlm`) so an export can name the file;
        // everything else about it is encrypted.
        let relative = format!("{MEDIA_DIR}/{name}.{ext}.hlm");
        let file =
            crate::media::SealedFile::create(&self.media_key(), &self.data_dir.join(&relative))?;
        Ok(NewMediaFile { file, relative })
    }

    /// Puts a written media file in place and attaches it to `memory` (once per content: the
    /// same bytes stored before are reused and this copy removed).
    pub fn attach_media_file(
        &self,
        memory: MemoryId,
        file: NewMediaFile,
        kind: MediaKind,
    ) -> Result<Media, GraphError> {
        let NewMediaFile { file, relative } = file;
        let (_, digest) = file.commit()?;
        let full = self.data_dir.join(&relative);
        let digest: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let new = NewMedia {
            kind,
            path: relative.clone(),
            content_hash: digest,
            taken_at_ms: None,
            place_entity_id: None,
            status: FactStatus::Confirmed,
        };
        let attached = self.attach_media(memory, &new);
        match &attached {
            Ok(media) if media.path == relative => {
                self.db.write(|tx| {
                    tx.execute("UPDATE media SET encrypted = 1 WHERE id = ?1", [media.id])?;
                    Ok::<_, GraphError>(())
                })?;
            }
            // Stored before (or not attached at all): this copy is not needed.
            _ => {
                let _ = std::fs::remove_file(&full);
            }
        }
        attached
    }

    /// Attaches a photo or video (a file under `media/`) to a memory. The same content (by hash)
    /// is stored once and may belong to several memories: when the hash is known, the existing
    /// item is returned, and if its `path` differs from `new.path` the caller's copy is redundant.
    pub fn attach_media(&self, memory: MemoryId, new: &NewMedia) -> Result<Media, GraphError> {
        check_file_reference(&new.path, MEDIA_DIR)?;
        let hash_ok =
            new.content_hash.len() == 64 && new.content_hash.bytes().all(|b| b.is_ascii_hexdigit());
        if !hash_ok {
            return Err(GraphError::invalid("content hash must be 64 hex digits (SHA-256)"));
        }
        self.db.write(|tx| {
            load_memory(tx, memory)?;
            if let Some(place) = new.place_entity_id {
                if super::entities::require_live(tx, place)? != EntityKind::Place {
                    return Err(GraphError::invalid("a media item's place must be a place entity"));
                }
            }
            let hash = new.content_hash.to_ascii_lowercase();
            let existing: Option<i64> = tx
                .query_row("SELECT id FROM media WHERE content_hash = ?1", [&hash], |r| r.get(0))
                .optional()?;
            let id = match existing {
                // Stored once: the caller sees the existing path and can drop its copy.
                Some(id) => {
                    tx.execute(
                        "UPDATE media SET place_entity_id = coalesce(place_entity_id, ?2) WHERE id = ?1",
                        params![id, new.place_entity_id],
                    )?;
                    id
                }
                None => {
                    tx.execute(
                        "INSERT INTO media (kind, path, content_hash, taken_at_ms, place_entity_id, \
                         status, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![new.kind, new.path, hash, new.taken_at_ms, new.place_entity_id, new.status, now_ms()],
                    )?;
                    tx.last_insert_rowid()
                }
            };
            tx.execute(
                "INSERT OR IGNORE INTO memory_media (memory_id, media_id) VALUES (?1, ?2)",
                [memory, id],
            )?;
            Ok(tx.query_row(&format!("SELECT {MEDIA_COLUMNS} FROM media m WHERE m.id = ?1"), [id], media_from_row)?)
        })
    }
}

/// A media file being written, encrypted, before it is attached (see
/// [`MemoryGraph::new_media_file`]).
pub struct NewMediaFile {
    file: crate::media::SealedFile,
    relative: String,
}

impl std::fmt::Debug for NewMediaFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewMediaFile")
    }
}

impl std::io::Write for NewMediaFile {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.file.write(data)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}
