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
    export_memory_with(graph, id, out, false)
}

/// Writes memory `id` for the family: as [`export_memory`], plus its photos (clean copies, no
/// metadata) as `photo-N.<ext>` and its videos as `video-N.<ext>`. Only a family share carries
/// them: a consent to back up or to research a memory never sends its photos along.
pub fn export_memory_for_family<W: Write>(
    graph: &MemoryGraph,
    id: MemoryId,
    out: W,
) -> Result<W, OutboxError> {
    export_memory_with(graph, id, out, true)
}

fn export_memory_with<W: Write>(
    graph: &MemoryGraph,
    id: MemoryId,
    out: W,
    with_media: bool,
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
    if with_media {
        let (mut photos, mut videos) = (0, 0);
        for media in &detail.media {
            let encrypted: bool = graph.database().read(|tx| {
                Ok::<_, OutboxError>(tx.query_row(
                    "SELECT encrypted FROM media WHERE id = ?1",
                    [media.id],
                    |r| r.get(0),
                )?)
            })?;
            let (ext, size, reader) = media_file(graph, media.id, &media.path, encrypted)?;
            let name = match media.kind {
                crate::graph::MediaKind::Photo => {
                    photos += 1;
                    format!("photo-{photos}.{ext}")
                }
                crate::graph::MediaKind::Video => {
                    videos += 1;
                    format!("video-{videos}.{ext}")
                }
            };
            append_exact(&mut archive, &name, size, reader)?;
        }
    }
    archive.into_inner().map_err(|e| OutboxError::io("finish export", &e))
}

/// Writes media item `id` as a tar archive into `out`: `media.json` and the file. A photo goes
/// as its clean copy (upright pixels re-encoded: no EXIF, XMP, GPS or any other metadata), and
/// `media.json` names no time or place; a video goes as stored, decrypted as it streams.
pub fn export_media<W: Write>(graph: &MemoryGraph, id: i64, out: W) -> Result<W, OutboxError> {
    let row: Option<(String, String, bool)> = graph.database().read(|tx| {
        Ok::<_, OutboxError>(
            tx.query_row("SELECT kind, path, encrypted FROM media WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?,
        )
    })?;
    let (kind, path, encrypted) =
        row.ok_or(OutboxError::Graph(crate::graph::GraphError::NotFound { what: "media", id }))?;
    let mut archive = tar::Builder::new(out);
    let (ext, size, reader) = media_file(graph, id, &path, encrypted)?;
    let name = format!("media.{ext}");
    let meta = serde_json::json!({ "format": EXPORT_FORMAT, "id": id, "kind": kind, "file": name });
    append(&mut archive, "media.json", meta.to_string().as_bytes())?;
    append_exact(&mut archive, &name, size, reader)?;
    archive.into_inner().map_err(|e| OutboxError::io("finish export", &e))
}

/// Appends `size` bytes from `reader` as entry `name`; a reader that ends early is an error.
fn append_exact(
    archive: &mut tar::Builder<impl Write>,
    name: &str,
    size: u64,
    reader: Box<dyn std::io::Read + '_>,
) -> Result<(), OutboxError> {
    let mut header = tar::Header::new_ustar();
    header.set_size(size);
    header.set_mode(0o600);
    header.set_mtime(0);
    header.set_cksum();
    let mut counted = Exact { inner: reader, left: size };
    archive
        .append_data(&mut header, name, &mut counted)
        .map_err(|e| OutboxError::io("write export", &e))?;
    if counted.left != 0 {
        return Err(OutboxError::io(
            "write export",
            &std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "media file shorter than expected",
            ),
        ));
    }
    Ok(())
}

/// What leaves for a media item: a photo's clean copy (no metadata), or a video as stored,
/// decrypted as it streams. Returns its extension, size and reader.
fn media_file<'g>(
    graph: &'g MemoryGraph,
    id: i64,
    path: &str,
    encrypted: bool,
) -> Result<(String, u64, Box<dyn std::io::Read + 'g>), OutboxError> {
    let clean = match graph.photo_rendition(id, crate::graph::Rendition::Clean) {
        Ok(bytes) => Some(bytes),
        Err(crate::graph::GraphError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    Ok(match clean {
        Some(bytes) => {
            let ext = if bytes.starts_with(b"\x89PNG") { "png" } else { "jpg" };
            (ext.to_owned(), bytes.len() as u64, Box::new(std::io::Cursor::new(bytes)))
        }
        None => {
            let file_path = graph
                .data_file(path)
                .ok_or(OutboxError::Internal { what: "media path is not a file reference" })?;
            let size = if encrypted {
                crate::media::plaintext_len(&file_path)
                    .map_err(|e| OutboxError::Graph(crate::graph::GraphError::Media(e)))?
            } else {
                std::fs::metadata(&file_path)
                    .map_err(|e| OutboxError::io("read media file", &e))?
                    .len()
            };
            let stem = if encrypted { path.trim_end_matches(".hlm") } else { path };
            let ext =
                std::path::Path::new(stem).extension().and_then(|e| e.to_str()).unwrap_or("bin");
            // A video leaves without its metadata (place, camera, time): a first pass finds the
            // boxes, the second blanks them on the way out. Not an MP4/MOV: it does not leave.
            let boxes = crate::media::metadata_boxes(graph.open_media(id)?)
                .map_err(|e| OutboxError::Graph(crate::graph::GraphError::Media(e)))?;
            let stripped = crate::media::StripMetadata::new(graph.open_media(id)?, boxes);
            (ext.to_owned(), size, Box::new(stripped))
        }
    })
}

/// Hands out at most `left` bytes, so a tar entry never outgrows its header.
struct Exact<R> {
    inner: R,
    left: u64,
}

impl<R: std::io::Read> std::io::Read for Exact<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let max = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        if max == 0 {
            return Ok(0);
        }
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}
