//! Creating, reading, changing and deleting memories. Deleting cascades through segments,
//! mentions, provenance-bound relations, recordings and media, removes entities that no memory
//! mentions any more (unless the owner confirmed them), and removes the files no row refers to.

use super::codec::{check_text, decode_about, encode_about, AboutColumns};
use super::model::*;
use super::{now_ms, GraphError, MemoryGraph};
use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde::Serialize;

/// Longest title, in characters.
pub(crate) const MAX_TITLE_CHARS: usize = 500;

pub(crate) const MEMORY_COLUMNS: &str =
    "id, title, told_at_ms, source, about_precision, about_from, \
     about_to, about_stage, about_status, created_at_ms, updated_at_ms";

pub(crate) fn memory_from_row(row: &Row<'_>) -> rusqlite::Result<Memory> {
    Ok(Memory {
        id: row.get(0)?,
        title: row.get(1)?,
        told_at_ms: row.get(2)?,
        source: row.get(3)?,
        about_when: decode_about(row.get(4)?, row.get(5)?, row.get(6)?, row.get(7)?),
        about_status: row.get(8)?,
        created_at_ms: row.get(9)?,
        updated_at_ms: row.get(10)?,
    })
}

pub(crate) fn load_memory(tx: &Transaction<'_>, id: MemoryId) -> Result<Memory, GraphError> {
    tx.prepare_cached(&format!("SELECT {MEMORY_COLUMNS} FROM memory WHERE id = ?1"))?
        .query_row([id], memory_from_row)
        .optional()?
        .ok_or(GraphError::NotFound { what: "memory", id })
}

/// Inserts a memory row; `about` is `new.about_when` already encoded.
pub(crate) fn insert_memory(
    tx: &Transaction<'_>,
    new: &NewMemory,
    about: &AboutColumns,
) -> Result<MemoryId, GraphError> {
    let now = now_ms();
    tx.prepare_cached(
        "INSERT INTO memory (title, told_at_ms, source, about_precision, about_from, about_to, \
         about_stage, about_sort, about_status, created_at_ms, updated_at_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
    )?
    .execute(params![
        new.title.trim(),
        new.told_at_ms,
        new.source,
        about.precision,
        about.from,
        about.to,
        about.stage,
        about.sort,
        new.about_status,
        now
    ])?;
    Ok(tx.last_insert_rowid())
}

/// Everything about one memory, for a detail screen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemoryDetail {
    pub memory: Memory,
    pub segments: Vec<Segment>,
    pub recordings: Vec<Recording>,
    pub media: Vec<Media>,
    /// Mentions in this memory's segments.
    pub mentions: Vec<Mention>,
    /// The entities those mentions name, each once.
    pub entities: Vec<Entity>,
}

/// What deleting a memory removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeletedMemory {
    /// Entities removed because nothing mentions them any more.
    pub removed_entities: u32,
    /// Files (relative to the data directory) deleted from disk.
    pub removed_files: Vec<String>,
    /// Files no row refers to any more but that could not be deleted (already gone, or outside
    /// the data directory).
    pub files_left: Vec<String>,
}

impl MemoryGraph {
    /// Creates a memory with no segments yet.
    pub fn create_memory(&self, new: &NewMemory) -> Result<Memory, GraphError> {
        check_text(&new.title, "title", MAX_TITLE_CHARS)?;
        let about = encode_about(new.about_when)?;
        self.db.write(|tx| {
            let id = insert_memory(tx, new, &about)?;
            load_memory(tx, id)
        })
    }

    /// Creates a typed memory: one segment per non-blank line of `text`, in one transaction.
    pub fn add_text_memory(
        &self,
        title: &str,
        text: &str,
        about_when: Option<AboutWhen>,
    ) -> Result<MemoryDetail, GraphError> {
        check_text(title, "title", MAX_TITLE_CHARS)?;
        check_text(text, "text", super::segments::MAX_SEGMENT_CHARS * 100)?;
        let about = encode_about(about_when)?;
        let lines: Vec<NewSegment> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| NewSegment {
                start_ms: 0,
                end_ms: 0,
                text: l.trim().to_owned(),
                confidence: 1.0,
            })
            .collect();
        let new = NewMemory {
            title: title.to_owned(),
            told_at_ms: now_ms(),
            source: MemorySource::Text,
            about_when,
            about_status: FactStatus::Confirmed,
        };
        let id = self.db.write(|tx| {
            let id = insert_memory(tx, &new, &about)?;
            super::segments::insert_segments(tx, id, None, &lines)?;
            Ok::<_, GraphError>(id)
        })?;
        self.understand(id)?;
        self.memory_detail(id)
    }

    /// One memory.
    pub fn memory(&self, id: MemoryId) -> Result<Memory, GraphError> {
        self.db.read(|tx| load_memory(tx, id))
    }

    /// Memories, most recently told first.
    pub fn list_memories(&self, offset: u32, limit: u32) -> Result<Vec<Memory>, GraphError> {
        self.db.read(|tx| {
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {MEMORY_COLUMNS} FROM memory ORDER BY told_at_ms DESC, id DESC \
                 LIMIT ?1 OFFSET ?2"
            ))?;
            let rows = stmt.query_map([limit, offset], memory_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// Changes a memory's title or date.
    pub fn update_memory(&self, id: MemoryId, update: &MemoryUpdate) -> Result<Memory, GraphError> {
        if let Some(title) = &update.title {
            check_text(title, "title", MAX_TITLE_CHARS)?;
        }
        let about = update.about_when.map(encode_about).transpose()?;
        self.db.write(|tx| {
            load_memory(tx, id)?;
            let now = now_ms();
            if let Some(title) = &update.title {
                tx.execute(
                    "UPDATE memory SET title = ?2, updated_at_ms = ?3 WHERE id = ?1",
                    params![id, title.trim(), now],
                )?;
            }
            if let Some(a) = &about {
                tx.execute(
                    "UPDATE memory SET about_precision = ?2, about_from = ?3, about_to = ?4, \
                     about_stage = ?5, about_sort = ?6, updated_at_ms = ?7 WHERE id = ?1",
                    params![id, a.precision, a.from, a.to, a.stage, a.sort, now],
                )?;
            }
            if let Some(status) = update.about_status {
                tx.execute(
                    "UPDATE memory SET about_status = ?2, updated_at_ms = ?3 WHERE id = ?1",
                    params![id, status, now],
                )?;
            }
            load_memory(tx, id)
        })
    }

    /// Everything about one memory.
    pub fn memory_detail(&self, id: MemoryId) -> Result<MemoryDetail, GraphError> {
        self.db.read(|tx| {
            let memory = load_memory(tx, id)?;
            let segments = super::segments::load_segments(tx, id)?;
            let recordings = super::media::load_recordings(tx, id)?;
            let media = super::media::load_memory_media(tx, id)?;
            let (mentions, entities) = super::entities::load_memory_mentions(tx, id)?;
            Ok(MemoryDetail { memory, segments, recordings, media, mentions, entities })
        })
    }

    /// Deletes a memory and everything that only it held up. One transaction; files are removed
    /// after it commits.
    pub fn delete_memory(&self, id: MemoryId) -> Result<DeletedMemory, GraphError> {
        let (files, removed_entities) = self.db.write(|tx| {
            load_memory(tx, id)?;
            let touched_entities: Vec<i64> = collect(
                tx,
                "SELECT DISTINCT entity_id FROM mention WHERE memory_id = ?1",
                id,
            )?;
            let mut files: Vec<String> =
                collect(tx, "SELECT audio_path FROM recording WHERE memory_id = ?1", id)?;
            let lone_media: Vec<i64> = collect(
                tx,
                "SELECT media_id FROM memory_media WHERE memory_id = ?1 AND media_id NOT IN \
                 (SELECT media_id FROM memory_media WHERE memory_id <> ?1)",
                id,
            )?;
            for media_id in &lone_media {
                let path: String =
                    tx.query_row("SELECT path FROM media WHERE id = ?1", [media_id], |r| r.get(0))?;
                files.push(path);
                // Thumbnails and the clean copy go with the photo.
                let mut renditions =
                    tx.prepare_cached("SELECT path FROM media_rendition WHERE media_id = ?1")?;
                for path in renditions.query_map([media_id], |r| r.get::<_, String>(0))? {
                    files.push(path?);
                }
                tx.execute("DELETE FROM media WHERE id = ?1", [media_id])?;
            }
            tx.execute("DELETE FROM memory WHERE id = ?1", [id])?;
            let mut removed = 0u32;
            for entity in touched_entities {
                removed += tx.execute(
                    "DELETE FROM entity WHERE id = ?1 AND status = 'inferred' \
                     AND NOT EXISTS (SELECT 1 FROM mention WHERE entity_id = ?1) \
                     AND NOT EXISTS (SELECT 1 FROM relation WHERE subject_id = ?1 OR object_id = ?1) \
                     AND NOT EXISTS (SELECT 1 FROM media WHERE place_entity_id = ?1) \
                     AND NOT EXISTS (SELECT 1 FROM entity WHERE merged_into = ?1)",
                    [entity],
                )? as u32;
            }
            // A file may still be referenced by another row (the same audio kept twice).
            files.retain(|path| {
                let still: Result<bool, rusqlite::Error> = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM recording WHERE audio_path = ?1) \
                     OR EXISTS (SELECT 1 FROM media WHERE path = ?1) \
                     OR EXISTS (SELECT 1 FROM media_rendition WHERE path = ?1)",
                    [path],
                    |r| r.get(0),
                );
                !still.unwrap_or(true)
            });
            Ok::<_, GraphError>((files, removed))
        })?;
        let mut outcome = DeletedMemory { removed_entities, ..Default::default() };
        for file in files {
            match self.data_file(&file).map(std::fs::remove_file) {
                Some(Ok(())) => outcome.removed_files.push(file),
                _ => outcome.files_left.push(file),
            }
        }
        Ok(outcome)
    }

    /// The absolute path of a file reference (`audio/…` or `media/…`), if it is one and no
    /// folder on the way is a symbolic link (which could lead out of the data directory).
    pub fn data_file(&self, relative: &str) -> Option<std::path::PathBuf> {
        let allowed = super::media::is_file_reference(relative, super::media::AUDIO_DIR)
            || super::media::is_file_reference(relative, super::media::MEDIA_DIR);
        if !allowed {
            return None;
        }
        let path = self.data_dir.join(relative);
        let mut prefix = self.data_dir.clone();
        for part in std::path::Path::new(relative).components() {
            prefix.push(part);
            if std::fs::symlink_metadata(&prefix).ok()?.file_type().is_symlink() {
                return None;
            }
        }
        Some(path)
    }
}

fn collect<T: rusqlite::types::FromSql>(
    tx: &Transaction<'_>,
    sql: &str,
    id: i64,
) -> Result<Vec<T>, GraphError> {
    let mut stmt = tx.prepare_cached(sql)?;
    let rows = stmt.query_map([id], |r| r.get(0))?;
    Ok(rows.collect::<Result<Vec<T>, _>>()?)
}
