//! Bech32 (BIP 173, not Bech32m), as age uses it for `age1…` recipients and
//! `AGE-SECRET-KEY-1…` identities. Written here rather than taken from a crate because age's strings
//! are one fixed shape and the decoder must report failures without echoing the (secret) input.

use zeroize::Zeroizing;

const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const GENERATORS: [u32; 5] = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

/// Why a Bech32 string was refused. Carries no part of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bech32Error {
    /// Mixed case, a character outside the alphabet, no separator, or a bad length.
    Malformed,
    /// The checksum does not match: a typo.
    Checksum,
    /// The human-readable part is not the one expected.
    WrongKind,
}

fn polymod(values: impl Iterator<Item = u8>) -> u32 {
    let mut chk: u32 = 1;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x1ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GENERATORS.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

fn hrp_expand(hrp: &[u8]) -> impl Iterator<Item = u8> + '_ {
    hrp.iter().map(|c| c >> 5).chain(std::iter::once(0)).chain(hrp.iter().map(|c| c & 31))
}

/// Regroups bits (8 → 5 when encoding, 5 → 8 when decoding). Decoding refuses non-zero padding.
fn convert_bits(data: &[u8], from: u32, to: u32, pad: bool) -> Option<Zeroizing<Vec<u8>>> {
    let mut acc: u32 = 0;
    let mut bits: u32 = 0;
    let max = (1u32 << to) - 1;
    let mut out = Zeroizing::new(Vec::with_capacity(data.len() * from as usize / to as usize + 1));
    for &value in data {
        acc = (acc << from) | u32::from(value);
        bits += from;
        while bits >= to {
            bits -= to;
            out.push(((acc >> bits) & max) as u8);
        }
    }
    if pad {
        if bits > 0 {
            out.push(((acc << (to - bits)) & max) as u8);
        }
    } else if bits >= from || ((acc << (to - bits)) & max) != 0 {
        return None;
    }
    Some(out)
}

/// Encodes `data` under the lowercase human-readable part `hrp`; the result is lowercase.
pub(crate) fn encode(hrp: &str, data: &[u8]) -> Zeroizing<String> {
    let hrp = hrp.as_bytes();
    let values = convert_bits(data, 8, 5, true).unwrap_or_default();
    let checksum_input = hrp_expand(hrp).chain(values.iter().copied()).chain([0u8; 6]);
    let checksum = polymod(checksum_input) ^ 1;
    let mut out = Zeroizing::new(String::with_capacity(hrp.len() + 1 + values.len() + 6));
    out.extend(hrp.iter().map(|&c| c as char));
    out.push('1');
    for v in values.iter() {
        out.push(CHARSET[*v as usize] as char);
    }
    for i in 0..6 {
        out.push(CHARSET[((checksum >> (5 * (5 - i))) & 31) as usize] as char);
    }
    out
}

/// Decodes a Bech32 string whose human-readable part must equal `hrp` (compared case-insensitively;
/// the string itself must be all lowercase or all uppercase). Returns the 8-bit data.
pub(crate) fn decode(text: &str, hrp: &str) -> Result<Zeroizing<Vec<u8>>, Bech32Error> {
    let bytes = text.as_bytes();
    if bytes.iter().any(|b| !(0x21..=0x7e).contains(b)) {
        return Err(Bech32Error::Malformed);
    }
    let has_lower = bytes.iter().any(u8::is_ascii_lowercase);
    let has_upper = bytes.iter().any(u8::is_ascii_uppercase);
    if has_lower && has_upper {
        return Err(Bech32Error::Malformed);
    }
    let lower = Zeroizing::new(text.to_ascii_lowercase());
    let sep = lower.rfind('1').ok_or(Bech32Error::Malformed)?;
    let (found_hrp, rest) = (&lower.as_bytes()[..sep], &lower.as_bytes()[sep + 1..]);
    if found_hrp.is_empty() || rest.len() < 6 {
        return Err(Bech32Error::Malformed);
    }
    if found_hrp != hrp.to_ascii_lowercase().as_bytes() {
        return Err(Bech32Error::WrongKind);
    }
    let mut values = Zeroizing::new(Vec::with_capacity(rest.len()));
    for c in rest {
        let v = CHARSET.iter().position(|x| x == c).ok_or(Bech32Error::Malformed)?;
        values.push(v as u8);
    }
    if polymod(hrp_expand(found_hrp).chain(values.iter().copied())) != 1 {
        return Err(Bech32Error::Checksum);
    }
    let data = &values[..values.len() - 6];
    convert_bits(data, 5, 8, false).ok_or(Bech32Error::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bip173_valid_strings_check_out() {
        for s in ["A12UEL5L", "a12uel5l", "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw"] {
            let sep = s.to_ascii_lowercase().rfind('1').unwrap_or(0);
            assert!(decode(s, &s[..sep]).is_ok(), "{s}");
        }
    }

    #[test]
    fn refuses_mixed_case_bad_checksum_and_wrong_kind() {
        assert_eq!(decode("A12uEL5L", "a"), Err(Bech32Error::Malformed));
        assert_eq!(decode("a12uel5m", "a"), Err(Bech32Error::Checksum));
        assert_eq!(decode("a12uel5l", "b"), Err(Bech32Error::WrongKind));
        assert_eq!(decode("pzry9x0s0muk", "pzry9x0s0muk"), Err(Bech32Error::Malformed));
        assert_eq!(decode("a1b", "a"), Err(Bech32Error::Malformed));
        assert_eq!(decode("é1qqqqqq", "é"), Err(Bech32Error::Malformed));
    }

    #[test]
    fn round_trips_bytes() {
        let data: Vec<u8> = (0u8..32).collect();
        let text = encode("age", &data);
        assert!(text.starts_with("age1"));
        assert_eq!(decode(&text, "age").map(|d| d.to_vec()), Ok(data.clone()));
        assert_eq!(decode(&text.to_ascii_uppercase(), "AGE").map(|d| d.to_vec()), Ok(data));
    }
}
