//! The age v1 header: version line, recipient stanzas, MAC line. The parser reads untrusted
//! bytes, so it is strict (canonical base64, 64-column bodies, LF only), bounded (line and header
//! size limits) and never panics; errors name the rule broken, never the bytes.

use super::SealError;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use std::io::{BufRead, Read, Write};

pub(crate) const VERSION_LINE: &[u8] = b"age-encryption.org/v1";
const STANZA_PREFIX: &[u8] = b"-> ";
const MAC_PREFIX: &[u8] = b"---";
const BODY_COLUMNS: usize = 64;
/// Longest header line accepted: a post-quantum stanza's argument is about 1,500 characters.
const MAX_LINE: usize = 8 * 1024;
/// Largest header accepted: generous for hundreds of recipients, small enough to hold in memory.
const MAX_HEADER: usize = 256 * 1024;
const MAX_STANZAS: usize = 1024;

/// One recipient stanza: a type, its arguments, and a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stanza {
    /// The stanza type (`X25519`, `scrypt`, or anything else, which is ignored).
    pub kind: String,
    /// Arguments after the type.
    pub args: Vec<String>,
    /// The decoded body.
    pub body: Vec<u8>,
}

/// A parsed header, with the exact bytes its MAC covers.
#[derive(Debug, Clone)]
pub struct Header {
    pub stanzas: Vec<Stanza>,
    pub mac: [u8; 32],
    /// The header up to and including `---`, as read: the MAC's input.
    pub(crate) mac_input: Vec<u8>,
}

fn header_error(reason: &'static str) -> SealError {
    SealError::Header { reason }
}

/// Decodes canonical unpadded base64 (the only form age allows); `None` otherwise.
pub(crate) fn decode_b64(text: &[u8]) -> Option<Vec<u8>> {
    if text.iter().any(|b| !(b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')) {
        return None;
    }
    STANDARD_NO_PAD.decode(text).ok()
}

pub(crate) fn encode_b64(bytes: &[u8]) -> String {
    STANDARD_NO_PAD.encode(bytes)
}

/// Reads one LF-terminated line (without the LF), at most `MAX_LINE` bytes.
fn read_line<R: BufRead>(reader: &mut R, total: &mut usize) -> Result<Vec<u8>, SealError> {
    let mut line = Vec::new();
    let read = reader
        .by_ref()
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', &mut line)
        .map_err(SealError::from)?;
    *total += read;
    if *total > MAX_HEADER {
        return Err(header_error("header too large"));
    }
    match line.pop() {
        Some(b'\n') => Ok(line),
        _ if read > MAX_LINE => Err(header_error("header line too long")),
        _ => Err(header_error("header ends early")),
    }
}

/// Armored files may start with whitespace; peek past it without consuming anything.
fn starts_with_armor<R: BufRead>(reader: &mut R) -> Result<bool, SealError> {
    const ARMOR: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";
    let buf = reader.fill_buf().map_err(SealError::from)?;
    let start = buf.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(buf.len());
    let rest = &buf[start..];
    Ok(rest.starts_with(ARMOR))
}

fn parse_args(text: &[u8]) -> Result<Vec<String>, SealError> {
    let mut args = Vec::new();
    for arg in text.split(|&b| b == b' ') {
        if arg.is_empty() {
            return Err(header_error("empty stanza argument"));
        }
        if arg.iter().any(|b| !(0x21..=0x7e).contains(b)) {
            return Err(header_error("invalid character in stanza argument"));
        }
        // Checked to be printable ASCII just above.
        args.push(arg.iter().map(|&b| b as char).collect());
    }
    Ok(args)
}

impl Header {
    /// Parses a header from the start of `reader`, leaving the reader at the payload.
    pub fn read_from<R: BufRead>(reader: &mut R) -> Result<Self, SealError> {
        if starts_with_armor(reader)? {
            return Err(SealError::Unsupported { feature: "ASCII armor" });
        }
        let mut total = 0;
        let mut mac_input = Vec::new();
        let version = read_line(reader, &mut total)?;
        if version != VERSION_LINE {
            // Another version (or a CRLF line) is not an age v1 file; the kit expects a header
            // failure for both, not "unsupported".
            return Err(header_error("not an age v1 file"));
        }
        mac_input.extend_from_slice(&version);
        mac_input.push(b'\n');
        let mut stanzas = Vec::new();
        let mut line = read_line(reader, &mut total)?;
        loop {
            if let Some(rest) = line.strip_prefix(STANZA_PREFIX) {
                if stanzas.len() == MAX_STANZAS {
                    return Err(header_error("too many stanzas"));
                }
                mac_input.extend_from_slice(&line);
                mac_input.push(b'\n');
                let mut args = parse_args(rest)?;
                let kind = args.remove(0);
                let mut body_text = Vec::new();
                loop {
                    let body_line = read_line(reader, &mut total)?;
                    if body_line.len() > BODY_COLUMNS {
                        return Err(header_error("stanza body line longer than 64 columns"));
                    }
                    mac_input.extend_from_slice(&body_line);
                    mac_input.push(b'\n');
                    let last = body_line.len() < BODY_COLUMNS;
                    body_text.extend_from_slice(&body_line);
                    if last {
                        break;
                    }
                }
                let body = decode_b64(&body_text)
                    .ok_or_else(|| header_error("stanza body is not canonical base64"))?;
                stanzas.push(Stanza { kind, args, body });
                line = read_line(reader, &mut total)?;
            } else if let Some(rest) = line.strip_prefix(MAC_PREFIX) {
                mac_input.extend_from_slice(MAC_PREFIX);
                let encoded =
                    rest.strip_prefix(b" ").ok_or_else(|| header_error("malformed MAC line"))?;
                let mac: [u8; 32] = decode_b64(encoded)
                    .and_then(|m| m.try_into().ok())
                    .ok_or_else(|| header_error("malformed MAC line"))?;
                if stanzas.is_empty() {
                    return Err(header_error("no recipient stanzas"));
                }
                return Ok(Self { stanzas, mac, mac_input });
            } else {
                return Err(header_error("unexpected header line"));
            }
        }
    }

    /// Encodes a header for `stanzas`; `mac_for` computes the MAC over the bytes up to `---`.
    pub(crate) fn write_to<W: Write>(
        stanzas: &[Stanza],
        mac_for: impl FnOnce(&[u8]) -> [u8; 32],
        out: &mut W,
    ) -> std::io::Result<()> {
        let mut text = Vec::with_capacity(128 + stanzas.len() * 128);
        text.extend_from_slice(VERSION_LINE);
        text.push(b'\n');
        for stanza in stanzas {
            text.extend_from_slice(STANZA_PREFIX);
            text.extend_from_slice(stanza.kind.as_bytes());
            for arg in &stanza.args {
                text.push(b' ');
                text.extend_from_slice(arg.as_bytes());
            }
            text.push(b'\n');
            let body = encode_b64(&stanza.body);
            let mut rest = body.as_bytes();
            loop {
                let take = rest.len().min(BODY_COLUMNS);
                text.extend_from_slice(&rest[..take]);
                text.push(b'\n');
                rest = &rest[take..];
                // A full last line is followed by an empty one: a short line ends the body.
                if take < BODY_COLUMNS {
                    break;
                }
            }
        }
        text.extend_from_slice(MAC_PREFIX);
        let mac = mac_for(&text);
        text.push(b' ');
        text.extend_from_slice(encode_b64(&mac).as_bytes());
        text.push(b'\n');
        out.write_all(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &[u8]) -> Result<Header, SealError> {
        Header::read_from(&mut &text[..])
    }

    #[test]
    fn written_headers_parse_back_with_the_same_mac_input() {
        let stanzas = vec![
            Stanza { kind: "X25519".into(), args: vec!["abc".into()], body: vec![7; 48] },
            Stanza { kind: "grease-!".into(), args: vec!["a".into(), "b".into()], body: vec![] },
        ];
        let mut out = Vec::new();
        let mut seen = Vec::new();
        Header::write_to(
            &stanzas,
            |bytes| {
                seen = bytes.to_vec();
                [9; 32]
            },
            &mut out,
        )
        .expect("write");
        let header = parse(&out).expect("parse");
        assert_eq!(header.stanzas, stanzas);
        assert_eq!(header.mac, [9; 32]);
        assert_eq!(header.mac_input, seen);
        // 48 bytes encode to exactly 64 columns, so an empty line must follow.
        assert!(String::from_utf8_lossy(&out).contains(&format!("{}\n\n", encode_b64(&[7; 48]))));
    }

    #[test]
    fn bounded_against_endless_lines_and_headers() {
        let long = [b"age-encryption.org/v1\n-> X ".as_slice(), &vec![b'a'; MAX_LINE * 2]].concat();
        assert!(matches!(parse(&long), Err(SealError::Header { .. })));
        let mut many = b"age-encryption.org/v1\n".to_vec();
        for _ in 0..20_000 {
            many.extend_from_slice(b"-> X a\n\n");
        }
        assert!(matches!(parse(&many), Err(SealError::Header { .. })));
    }

    #[test]
    fn armor_is_unsupported_and_other_versions_are_not_age_v1() {
        assert!(matches!(
            parse(b"-----BEGIN AGE ENCRYPTED FILE-----\n"),
            Err(SealError::Unsupported { .. })
        ));
        assert!(matches!(parse(b"age-encryption.org/v2\n"), Err(SealError::Header { .. })));
        assert!(matches!(
            parse(b"  \n-----BEGIN AGE ENCRYPTED FILE-----\n"),
            Err(SealError::Unsupported { .. })
        ));
        assert!(matches!(parse(b"hello\n"), Err(SealError::Header { .. })));
        assert!(matches!(parse(b""), Err(SealError::Header { .. })));
    }
}
