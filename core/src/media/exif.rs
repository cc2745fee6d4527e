//! The EXIF fields the graph uses: when the photo was taken and where. Everything else in the
//! block (camera, maker notes) is ignored here and never leaves the device.

use serde::Serialize;

/// When a photo was taken, as the camera recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TakenAt {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    /// Offset from UTC in minutes, when the camera wrote one (`OffsetTimeOriginal`).
    pub offset_minutes: Option<i16>,
}

impl TakenAt {
    /// Unix milliseconds. Without a recorded offset the camera's local time is taken as UTC:
    /// off by the time zone at most, which is far finer than the day a memory is placed on.
    pub fn unix_ms(&self) -> Option<i64> {
        let days = crate::clock::days_from_civil(
            i64::from(self.year),
            u32::from(self.month),
            u32::from(self.day),
        )?;
        let seconds = days * 86_400
            + i64::from(self.hour) * 3_600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
            - i64::from(self.offset_minutes.unwrap_or(0)) * 60;
        Some(seconds * 1_000)
    }
}

/// What a photo's EXIF block says that the graph uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct PhotoMetadata {
    pub taken_at: Option<TakenAt>,
    /// Latitude and longitude in degrees (south and west negative).
    pub gps: Option<(f64, f64)>,
}

fn ascii(exif: &exif::Exif, tag: exif::Tag) -> Option<Vec<u8>> {
    match &exif.get_field(tag, exif::In::PRIMARY)?.value {
        exif::Value::Ascii(parts) => parts.first().cloned(),
        _ => None,
    }
}

fn taken_at(exif: &exif::Exif) -> Option<TakenAt> {
    let (stamp, offset_tag) = match ascii(exif, exif::Tag::DateTimeOriginal) {
        Some(s) => (s, exif::Tag::OffsetTimeOriginal),
        None => (ascii(exif, exif::Tag::DateTime)?, exif::Tag::OffsetTime),
    };
    let mut dt = exif::DateTime::from_ascii(&stamp).ok()?;
    if let Some(offset) = ascii(exif, offset_tag) {
        let _ = dt.parse_offset(&offset);
    }
    let valid = (1..=12).contains(&dt.month)
        && (1..=31).contains(&dt.day)
        && dt.hour < 24
        && dt.minute < 60
        && dt.second < 61
        && dt.year >= 1826; // the oldest surviving photograph
    valid.then_some(TakenAt {
        year: dt.year,
        month: dt.month,
        day: dt.day,
        hour: dt.hour,
        minute: dt.minute,
        second: dt.second.min(59),
        offset_minutes: dt.offset.filter(|o| o.abs() <= 14 * 60),
    })
}

fn coordinate(exif: &exif::Exif, value: exif::Tag, reference: exif::Tag) -> Option<f64> {
    let parts = match &exif.get_field(value, exif::In::PRIMARY)?.value {
        exif::Value::Rational(parts) if parts.len() == 3 => parts.clone(),
        _ => return None,
    };
    let degrees = parts[0].to_f64() + parts[1].to_f64() / 60.0 + parts[2].to_f64() / 3600.0;
    let sign = match ascii(exif, reference)?.first()? {
        b'N' | b'E' => 1.0,
        b'S' | b'W' => -1.0,
        _ => return None,
    };
    degrees.is_finite().then_some(sign * degrees)
}

/// Reads the raw EXIF block (TIFF, with or without the `Exif\0\0` prefix). A damaged block
/// yields nothing rather than an error: the photo itself is still good.
pub(crate) fn parse(raw: &[u8]) -> PhotoMetadata {
    let tiff = raw.strip_prefix(b"Exif\0\0").unwrap_or(raw);
    let Ok(exif) = exif::Reader::new().read_raw(tiff.to_vec()) else {
        return PhotoMetadata::default();
    };
    let lat = coordinate(&exif, exif::Tag::GPSLatitude, exif::Tag::GPSLatitudeRef);
    let lon = coordinate(&exif, exif::Tag::GPSLongitude, exif::Tag::GPSLongitudeRef);
    let gps = match (lat, lon) {
        (Some(lat), Some(lon)) if lat.abs() <= 90.0 && lon.abs() <= 180.0 => Some((lat, lon)),
        _ => None,
    };
    PhotoMetadata { taken_at: taken_at(&exif), gps }
}
