//! Metadata out of MP4/MOV files before they leave the device: a phone's video carries the
//! place it was shot (`©xyz`), the camera, the time and sometimes XMP, in `udta` and `meta`
//! boxes (under `moov` and its tracks) and in `uuid` boxes. Each such box is turned into a
//! `free` box of the same size with its contents zeroed: players skip `free` boxes, and since
//! nothing moves, the sample offsets in `stco`/`co64` stay right without rewriting the index.
//! Two passes over the (decrypted) stream: one finds the boxes, the other rewrites them on the
//! way out. A file that is not an ISO base media file is refused: what cannot be parsed
//! cannot be shown to carry nothing.

use super::MediaError;
use std::io::Read;

/// Boxes whose contents are metadata.
const METADATA: [&[u8; 4]; 3] = [b"udta", b"meta", b"uuid"];
/// Boxes to look inside for metadata.
const CONTAINERS: [&[u8; 4]; 3] = [b"moov", b"trak", b"mdia"];
/// Containers nest this deep at most in real files (moov/trak/mdia); deeper is hostile.
const MAX_DEPTH: usize = 8;
/// A `moov` (the index) larger than this is not a phone video.
const MAX_MOOV: u64 = 64 << 20;

/// A range to neutralise: a metadata box (renamed `free`, its payload zeroed), or the creation
/// and modification times inside `mvhd`, `tkhd` or `mdhd` (zeroed: "unknown").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetadataBox {
    pub start: u64,
    /// Bytes from here to `end` are zeroed.
    pub payload: u64,
    pub end: u64,
    /// Whether the box at `start` becomes a `free` box.
    pub rename: bool,
}

/// Boxes that carry the recording's date: their times are zeroed.
const TIMED: [&[u8; 4]; 3] = [b"mvhd", b"tkhd", b"mdhd"];

fn corrupt(reason: &'static str) -> MediaError {
    let _ = reason;
    MediaError::Corrupt
}

fn read_exact_or(reader: &mut impl Read, buf: &mut [u8]) -> Result<bool, MediaError> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..]) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => return Err(corrupt("cut short")),
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                return Err(MediaError::Tampered)
            }
            Err(e) => return Err(MediaError::Io { op: "read a video", kind: e.kind() }),
        }
    }
    Ok(true)
}

/// Walks boxes in `data` (at absolute offset `base`), recording metadata boxes and descending
/// into containers.
fn walk(
    data: &[u8],
    base: u64,
    depth: usize,
    found: &mut Vec<MetadataBox>,
) -> Result<(), MediaError> {
    if depth > MAX_DEPTH {
        return Err(corrupt("boxes nested too deep"));
    }
    let mut at = 0usize;
    while at + 8 <= data.len() {
        let size32 = u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]);
        let kind: [u8; 4] = [data[at + 4], data[at + 5], data[at + 6], data[at + 7]];
        let (size, header) = match size32 {
            0 => ((data.len() - at) as u64, 8usize),
            1 => {
                let bytes = data.get(at + 8..at + 16).ok_or(corrupt("large size"))?;
                let mut b = [0u8; 8];
                b.copy_from_slice(bytes);
                (u64::from_be_bytes(b), 16)
            }
            n => (u64::from(n), 8),
        };
        if size < header as u64 || at as u64 + size > data.len() as u64 {
            return Err(corrupt("a box runs past its parent"));
        }
        let end = at + size as usize;
        if METADATA.iter().any(|m| **m == kind) {
            found.push(MetadataBox {
                start: base + at as u64,
                payload: base + (at + header) as u64,
                end: base + end as u64,
                rename: true,
            });
        } else if TIMED.iter().any(|t| **t == kind) {
            // Version 0: 4-byte times; version 1: 8-byte; after version and flags.
            let version = data.get(at + header).copied().ok_or(corrupt("empty header box"))?;
            let times = if version == 1 { 16 } else { 8 };
            if at + header + 4 + times > end {
                return Err(corrupt("header box too short"));
            }
            let from = base + (at + header + 4) as u64;
            found.push(MetadataBox {
                start: from,
                payload: from,
                end: from + times as u64,
                rename: false,
            });
        } else if CONTAINERS.iter().any(|c| **c == kind) {
            walk(&data[at + header..end], base + (at + header) as u64, depth + 1, found)?;
        }
        at = end;
    }
    if at != data.len() {
        return Err(corrupt("trailing bytes"));
    }
    Ok(())
}

/// Finds every metadata box of the MP4/MOV `reader` yields (read to its end).
pub fn metadata_boxes(mut reader: impl Read) -> Result<Vec<MetadataBox>, MediaError> {
    let mut found = Vec::new();
    let mut offset = 0u64;
    let mut first = true;
    loop {
        let mut head = [0u8; 8];
        if !read_exact_or(&mut reader, &mut head)? {
            break;
        }
        let size32 = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let kind = [head[4], head[5], head[6], head[7]];
        if first && !matches!(&kind, b"ftyp" | b"moov" | b"mdat" | b"free" | b"wide" | b"skip") {
            return Err(MediaError::UnsupportedVideo);
        }
        first = false;
        let (size, header) = match size32 {
            0 => (u64::MAX, 8u64),
            1 => {
                let mut b = [0u8; 8];
                if !read_exact_or(&mut reader, &mut b)? {
                    return Err(corrupt("large size"));
                }
                (u64::from_be_bytes(b), 16)
            }
            n => (u64::from(n), 8),
        };
        if size < header {
            return Err(corrupt("box smaller than its header"));
        }
        if METADATA.iter().any(|m| **m == kind) && size != u64::MAX {
            found.push(MetadataBox {
                start: offset,
                payload: offset + header,
                end: offset + size,
                rename: true,
            });
        }
        if kind == *b"moov" && size != u64::MAX {
            if size > MAX_MOOV {
                return Err(MediaError::OverBudget { max_mib: MAX_MOOV >> 20 });
            }
            let mut body = vec![0u8; (size - header) as usize];
            if !read_exact_or(&mut reader, &mut body)? {
                return Err(corrupt("moov cut short"));
            }
            walk(&body, offset + header, 0, &mut found)?;
        } else if size == u64::MAX {
            // The last box runs to the end of the file.
            let n = std::io::copy(&mut reader, &mut std::io::sink())
                .map_err(|e| MediaError::Io { op: "read a video", kind: e.kind() })?;
            if METADATA.iter().any(|m| **m == kind) {
                found.push(MetadataBox {
                    start: offset,
                    payload: offset + header,
                    end: offset + header + n,
                    rename: true,
                });
            }
            break;
        } else {
            let skip = size - header;
            let n = std::io::copy(&mut (&mut reader).take(skip), &mut std::io::sink())
                .map_err(|e| MediaError::Io { op: "read a video", kind: e.kind() })?;
            if n != skip {
                return Err(corrupt("cut short"));
            }
        }
        offset += size;
    }
    if first {
        return Err(MediaError::UnsupportedVideo);
    }
    Ok(found)
}

/// Hands out `inner` with every box in `boxes` turned into a zeroed `free` box.
pub struct StripMetadata<R> {
    inner: R,
    boxes: Vec<MetadataBox>,
    pos: u64,
}

impl<R> std::fmt::Debug for StripMetadata<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripMetadata").field("boxes", &self.boxes.len()).finish()
    }
}

impl<R: Read> StripMetadata<R> {
    pub fn new(inner: R, boxes: Vec<MetadataBox>) -> Self {
        Self { inner, boxes, pos: 0 }
    }
}

impl<R: Read> Read for StripMetadata<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let (from, to) = (self.pos, self.pos + n as u64);
        for b in &self.boxes {
            if b.end <= from || b.start >= to {
                continue;
            }
            for abs in b.start.max(from)..b.end.min(to) {
                let i = (abs - from) as usize;
                let rel = abs - b.start;
                if b.rename && (4..8).contains(&rel) {
                    buf[i] = b"free"[(rel - 4) as usize];
                } else if abs >= b.payload {
                    buf[i] = 0;
                }
            }
        }
        self.pos = to;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut out = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn phone_metadata_becomes_free_space_and_nothing_moves() {
        let gps = boxed(b"\xa9xyz", b"+48.8584+002.2945/");
        let udta = boxed(b"udta", &gps);
        let trak_meta = boxed(b"meta", b"Pixel 9 Pro 2026-06-01T10:00:00Z");
        let trak = boxed(
            b"trak",
            &[
                boxed(b"tkhd", &[0u8, 0, 0, 1, 9, 9, 9, 9, 9, 9, 9, 9, 1, 1, 1, 1, 1, 1, 1, 1]),
                trak_meta,
            ]
            .concat(),
        );
        let moov = boxed(
            b"moov",
            &[
                boxed(
                    b"mvhd",
                    &[
                        0u8, 0, 0, 0, 0xDE, 0xAD, 0xBE, 0xEF, 0xDE, 0xAD, 0xBE, 0xEF, 2, 2, 2, 2,
                        2, 2, 2, 2,
                    ],
                ),
                trak,
                udta,
            ]
            .concat(),
        );
        let xmp = boxed(b"uuid", b"\xbe\x7a\xcf\xcb<x:xmpmeta GPSLatitude=48/>");
        let file =
            [boxed(b"ftyp", b"isom\0\0\0\0"), moov, boxed(b"mdat", &[7u8; 64]), xmp].concat();
        let boxes = metadata_boxes(&file[..]).expect("parsed");
        assert_eq!(boxes.len(), 5, "three boxes and two sets of times: {boxes:?}");
        let mut out = Vec::new();
        // Read in awkward pieces: the rewrite works across read boundaries.
        let mut r = StripMetadata::new(&file[..], boxes);
        let mut buf = [0u8; 7];
        loop {
            let n = r.read(&mut buf).expect("read");
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        assert_eq!(out.len(), file.len(), "nothing moves");
        for secret in [
            &b"48.8584"[..],
            b"Pixel",
            b"xmpmeta",
            b"udta",
            b"\xa9xyz",
            b"\xde\xad\xbe\xef",
            &[9u8; 8],
        ] {
            assert!(!out.windows(secret.len()).any(|w| w == secret), "{secret:?} left");
        }
        let again = metadata_boxes(&out[..]).expect("still a valid file");
        assert!(again.iter().all(|b| !b.rename), "no metadata box left: {again:?}");
        // Everything else is byte-identical.
        let mdat = file.windows(4).position(|w| w == b"mdat").expect("mdat");
        assert_eq!(out[mdat - 4..mdat + 68], file[mdat - 4..mdat + 68]);
    }

    #[test]
    fn files_that_are_not_mp4_or_are_damaged_are_refused() {
        assert!(matches!(
            metadata_boxes(&b"GIF89a not a video at all"[..]),
            Err(MediaError::UnsupportedVideo)
        ));
        assert!(matches!(metadata_boxes(&b""[..]), Err(MediaError::UnsupportedVideo)));
        let mut cut = boxed(b"ftyp", b"isom\0\0\0\0");
        cut.extend_from_slice(&boxed(b"moov", &[0u8; 40])[..30]);
        assert!(metadata_boxes(&cut[..]).is_err(), "moov cut short");
        let lying = [
            boxed(b"ftyp", b"isom"),
            boxed(b"moov", &boxed(b"trak", &boxed(b"tkhd", &[0u8; 20]))[..]),
        ]
        .concat();
        let mut bad = lying.clone();
        bad[20..24].copy_from_slice(&112u32.to_be_bytes());
        assert!(metadata_boxes(&bad[..]).is_err(), "a box past its parent");
        assert!(metadata_boxes(&lying[..]).is_ok());
        // Tracks nested a million deep (a hostile file): refused, not a stack overflow.
        let mut nested = boxed(b"tkhd", &[0u8; 20]);
        for _ in 0..100_000 {
            let mut outer = ((nested.len() + 8) as u32).to_be_bytes().to_vec();
            outer.extend_from_slice(b"trak");
            outer.extend_from_slice(&nested);
            nested = outer;
        }
        let deep = [boxed(b"ftyp", b"isom"), boxed(b"moov", &nested)].concat();
        assert!(matches!(metadata_boxes(&deep[..]), Err(MediaError::Corrupt)));
    }
}
