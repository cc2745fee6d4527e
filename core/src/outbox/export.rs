//! What an upload holds, as a tar archive. A memory: `memory.json` (title, time, transcript
//! segments with timestamps, mentions and the people, places and times they name) and each of its
//! recordings as a 16-bit WAV, streamed from its encrypted file chunk by chunk. A photo or video: `media.json` and the file itself, streamed from
//! disk. Both in constant memory. This is the plaintext that gets sealed; it never touches the disk
//! unsealed.

use super::OutboxError;
use crate::graph::{MemoryGraph, MemoryId};
use rusqlite::OptionalExtension;
use std::io::Write;

/// Format tag inside `memory.json`.
pub const EXPORT_FORMAT: &str = "heirloom-memory-export/1";

fn append(
    archive: &mut tar::Builder<impl Write>,
    name: &str,
    bytes: &[u8],
) -> Result<(), OutboxError> {
    let mut header = tar::Header::new_ustar();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o600);
    header.set_mtime(0);
    header.set_cksum();
    archive.append_data(&mut header, name, bytes).map_err(|e| OutboxError::io("write export", &e))
}

/// Writes memory `id` as a tar archive into `out`.
pub fn export_memory<W: Write>(
    graph: &MemoryGraph,
    id: MemoryId,
    out: W,
) -> Result<W, OutboxError> {
    let detail = graph.memory_detail(id)?;
    let mut archive = tar::Builder::new(out);
    let mut doc =
        serde_json::to_value(&detail).map_err(|_| OutboxError::Internal { what: "export" })?;
    if let Some(map) = doc.as_object_mut() {
        map.insert("format".into(), EXPORT_FORMAT.into());
    }
    let json =
        serde_json::to_vec_pretty(&doc).map_err(|_| OutboxError::Internal { what: "export" })?;
    append(&mut archive, "memory.json", &json)?;
    for (i, recording) in detail.recordings.iter().enumerate() {
        let wav = graph.recording_wav(recording)?;
        let mut header = tar::Header::new_ustar();
        header.set_size(wav.len());
        header.set_mode(0o600);
        header.set_mtime(0);
        header.set_cksum();
        archive
            .append_data(&mut header, format!("recording-{}.wav", i + 1), wav)
            .map_err(|e| OutboxError::io("write export", &e))?;
    }
    archive.into_inner().map_err(|e| OutboxError::io("finish export", &e))
}

/// Writes media item `id` (its metadata and the file, streamed) as a tar archive into `out`.
pub fn export_media<W: Write>(graph: &MemoryGraph, id: i64, out: W) -> Result<W, OutboxError> {
    let row: Option<(String, String, String, Option<i64>)> = graph.database().read(|tx| {
        Ok::<_, OutboxError>(
            tx.query_row(
                "SELECT kind, path, content_hash, taken_at_ms FROM media WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?,
        )
    })?;
    let (kind, path, hash, taken_at_ms) =
        row.ok_or(OutboxError::Graph(crate::graph::GraphError::NotFound { what: "media", id }))?;
    let file_path = graph
        .data_file(&path)
        .ok_or(OutboxError::Internal { what: "media path is not a file reference" })?;
    let file =
        std::fs::File::open(&file_path).map_err(|e| OutboxError::io("read media file", &e))?;
    let size = file.metadata().map_err(|e| OutboxError::io("read media file", &e))?.len();
    let mut archive = tar::Builder::new(out);
    let meta = serde_json::json!({
        "format": EXPORT_FORMAT, "id": id, "kind": kind, "content_sha256": hash, "taken_at_ms": taken_at_ms,
    });
    append(&mut archive, "media.json", meta.to_string().as_bytes())?;
    let name = format!(
        "media.{}",
        std::path::Path::new(&path).extension().and_then(|e| e.to_str()).unwrap_or("bin")
    );
    let mut header = tar::Header::new_ustar();
    header.set_size(size);
    header.set_mode(0o600);
    header.set_mtime(0);
    header.set_cksum();
    archive
        .append_data(&mut header, name, std::io::BufReader::with_capacity(1 << 16, file))
        .map_err(|e| OutboxError::io("write export", &e))?;
    archive.into_inner().map_err(|e| OutboxError::io("finish export", &e))
}
