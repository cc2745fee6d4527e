//! Photos against real encoders and hand-made EXIF blocks: orientation, date and GPS, limits,
//! damaged files, clean copies, near-duplicates and encryption at rest.

use super::*;
use crate::keystore::SecretKey;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use std::io::{Cursor, Read};

/// A 64x32 picture: red left half with a white top-left block, blue right half.
pub(crate) fn picture() -> RgbImage {
    RgbImage::from_fn(64, 32, |x, y| {
        if x < 12 && y < 12 {
            Rgb([255, 255, 255])
        } else if x < 32 {
            Rgb([220, 20, 20])
        } else {
            Rgb([20, 20, 220])
        }
    })
}

pub(crate) fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    image.write_to(&mut Cursor::new(&mut out), format).expect("encode");
    out
}

fn exif_block(fields: &[::exif::Field]) -> Vec<u8> {
    let mut writer = ::exif::experimental::Writer::new();
    for f in fields {
        writer.push_field(f);
    }
    let mut tiff = Cursor::new(Vec::new());
    writer.write(&mut tiff, false).expect("tiff");
    tiff.into_inner()
}

fn field(tag: ::exif::Tag, value: ::exif::Value) -> ::exif::Field {
    ::exif::Field { tag, ifd_num: ::exif::In::PRIMARY, value }
}

fn ascii(text: &str) -> ::exif::Value {
    ::exif::Value::Ascii(vec![text.as_bytes().to_vec()])
}

fn rational(parts: &[(u32, u32)]) -> ::exif::Value {
    ::exif::Value::Rational(
        parts.iter().map(|&(num, denom)| ::exif::Rational { num, denom }).collect(),
    )
}

/// A phone photo: orientation 6 (turn 90 degrees clockwise to view), taken 14 July 2019
/// 15:30:00 at UTC+02:00, at 48°51'29.6"N 2°17'40.2"E.
fn phone_exif() -> Vec<u8> {
    exif_block(&[
        field(::exif::Tag::Orientation, ::exif::Value::Short(vec![6])),
        field(::exif::Tag::Make, ascii("Heirloom Test Camera")),
        field(::exif::Tag::DateTimeOriginal, ascii("2019:07:14 15:30:00")),
        field(::exif::Tag::OffsetTimeOriginal, ascii("+02:00")),
        field(::exif::Tag::GPSLatitudeRef, ascii("N")),
        field(::exif::Tag::GPSLatitude, rational(&[(48, 1), (51, 1), (296, 10)])),
        field(::exif::Tag::GPSLongitudeRef, ascii("E")),
        field(::exif::Tag::GPSLongitude, rational(&[(2, 1), (17, 1), (402, 10)])),
    ])
}

/// `jpeg` with an APP1 Exif segment (and an XMP packet) inserted after its SOI marker.
fn with_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(tiff);
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    let xmp = b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><exif:GPSLatitude>48,51.49N</exif:GPSLatitude></x:xmpmeta>";
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((xmp.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(xmp);
    out.extend_from_slice(&jpeg[2..]);
    out
}

pub(crate) fn phone_jpeg() -> Vec<u8> {
    with_exif(&encode(&DynamicImage::ImageRgb8(picture()), ImageFormat::Jpeg), &phone_exif())
}

fn near(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) < 40)
}

#[test]
fn a_phone_jpeg_is_turned_upright_and_its_date_and_place_are_read() {
    let photo = decode(&phone_jpeg()).expect("decode");
    assert_eq!(photo.format, PhotoFormat::Jpeg);
    assert_eq!(photo.orientation, 6);
    // 64x32 turned a quarter clockwise: 32 wide, 64 tall, the white block now top-right.
    let rgb = photo.image.to_rgb8();
    assert_eq!(rgb.dimensions(), (32, 64));
    assert!(near(rgb.get_pixel(26, 5).0, [255, 255, 255]), "{:?}", rgb.get_pixel(26, 5));
    assert!(near(rgb.get_pixel(5, 5).0, [220, 20, 20]));
    assert!(near(rgb.get_pixel(16, 50).0, [20, 20, 220]));

    let taken = photo.metadata.taken_at.expect("date");
    assert_eq!((taken.year, taken.month, taken.day, taken.hour), (2019, 7, 14, 15));
    assert_eq!(taken.offset_minutes, Some(120));
    // 15:30 at UTC+2 is 13:30 UTC.
    assert_eq!(crate::clock::rfc3339(taken.unix_ms().expect("ms")), "2019-07-14T13:30:00Z");
    let (lat, lon) = photo.metadata.gps.expect("gps");
    assert!((lat - 48.858_222).abs() < 1e-5 && (lon - 2.294_5).abs() < 1e-5, "{lat}, {lon}");
}

#[test]
fn png_and_webp_decode_and_a_photo_without_exif_has_no_metadata() {
    let rgba = DynamicImage::ImageRgba8(RgbaImage::from_pixel(30, 20, Rgba([10, 200, 10, 128])));
    for (format, expected) in
        [(ImageFormat::Png, PhotoFormat::Png), (ImageFormat::WebP, PhotoFormat::WebP)]
    {
        let photo = decode(&encode(&rgba, format)).expect("decode");
        assert_eq!(photo.format, expected);
        assert_eq!((photo.image.width(), photo.image.height()), (30, 20));
        assert_eq!(photo.metadata, PhotoMetadata::default());
        assert_eq!(photo.orientation, 1);
    }
}

/// A PNG that is only a signature and an IHDR chunk claiming `width` x `height` (and nothing
/// that could be decoded): the limits must refuse it before any pixel buffer exists.
fn png_header(width: u32, height: u32, bit_depth: u8, colour: u8) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[bit_depth, colour, 0, 0, 0]);
    let crc = crc32(&ihdr);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend_from_slice(&13u32.to_be_bytes());
    out.extend_from_slice(&ihdr);
    out.extend_from_slice(&crc.to_be_bytes());
    // The start of an IDAT chunk, so the header parses; the pixels are never there.
    let idat = b"IDAT\x78\x9c";
    out.extend_from_slice(&2u32.to_be_bytes());
    out.extend_from_slice(idat);
    out.extend_from_slice(&crc32(idat).to_be_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn bombs_huge_images_damaged_files_and_non_images_are_typed_errors() {
    assert!(matches!(
        decode(&png_header(50_000, 40_000, 8, 2)),
        Err(MediaError::TooLarge { width: 50_000, height: 40_000, max: MAX_SIDE })
    ));
    // 11,000 x 11,000 16-bit RGBA is within the side limit but needs 968 MB.
    assert!(matches!(
        decode(&png_header(11_000, 11_000, 16, 6)),
        Err(MediaError::OverBudget { .. })
    ));
    let jpeg = phone_jpeg();
    for cut in [jpeg.len() / 2, jpeg.len() - 2, 40] {
        assert!(matches!(decode(&jpeg[..cut]), Err(MediaError::Corrupt)), "jpeg cut at {cut}");
    }
    let png = encode(&DynamicImage::ImageRgb8(picture()), ImageFormat::Png);
    assert!(matches!(decode(&png[..png.len() - 20]), Err(MediaError::Corrupt)));
    let webp = encode(&DynamicImage::ImageRgb8(picture()), ImageFormat::WebP);
    assert!(decode(&webp[..webp.len() / 2]).is_err());
    for not_an_image in
        [&b""[..], b"hello, this is a text file named photo.jpg", b"GIF89a\x01\0\x01\0"]
    {
        assert!(matches!(decode(not_an_image), Err(MediaError::Unsupported)));
    }
}

#[test]
fn mutated_images_never_panic_the_decoder() {
    let sources = [
        phone_jpeg(),
        encode(&DynamicImage::ImageRgb8(picture()), ImageFormat::Png),
        encode(&DynamicImage::ImageRgb8(picture()), ImageFormat::WebP),
    ];
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut errors = 0;
    for i in 0..3_000 {
        let mut bytes = sources[i % sources.len()].clone();
        for _ in 0..1 + next() % 8 {
            let at = (next() % bytes.len() as u64) as usize;
            match next() % 3 {
                0 => bytes[at] ^= 1 << (next() % 8),
                1 => bytes[at] = next() as u8,
                _ => bytes.truncate(at.max(1)),
            }
        }
        // The fuzz target's body (core/fuzz/fuzz_targets/decode_photo.rs).
        match decode(&bytes) {
            Ok(photo) => {
                if let Ok((small, _)) = thumbnail(&photo.image, 64) {
                    let _ = dhash(&small);
                }
                let _ = clean_copy(&photo.image);
            }
            Err(_) => errors += 1,
        }
    }
    assert!(errors > 0, "the mutations should break some files");
}

#[test]
fn clean_copies_carry_no_metadata_at_all() {
    let original = phone_jpeg();
    assert!(::exif::Reader::new().read_from_container(&mut Cursor::new(&original)).is_ok());
    let photo = decode(&original).expect("decode");
    let (clean, ext) = clean_copy(&photo.image).expect("clean");
    assert_eq!(ext, "jpg");
    // Parsed back: no EXIF block at all, and none of the metadata's bytes anywhere.
    assert!(::exif::Reader::new().read_from_container(&mut Cursor::new(&clean)).is_err());
    for marker in [
        &b"Exif"[..],
        b"http://ns.adobe.com",
        b"xmpmeta",
        b"Heirloom Test Camera",
        b"2019:07:14",
        b"ICC_PROFILE",
        b"Photoshop",
    ] {
        assert!(
            !clean.windows(marker.len()).any(|w| w == marker),
            "{}",
            String::from_utf8_lossy(marker)
        );
    }
    // Only SOI, JFIF APP0, and image segments: no APPn beyond APP0, no COM.
    let mut i = 2;
    while i + 4 <= clean.len() && clean[i] == 0xFF && clean[i + 1] != 0xDA {
        let marker = clean[i + 1];
        assert!(!(0xE1..=0xEF).contains(&marker) && marker != 0xFE, "segment {marker:02X}");
        i += 2 + usize::from(u16::from_be_bytes([clean[i + 2], clean[i + 3]]));
    }
    // Upright pixels, so nothing depends on the orientation tag that was dropped.
    let back = decode(&clean).expect("decode clean");
    assert_eq!((back.image.width(), back.image.height(), back.orientation), (32, 64, 1));
    assert_eq!(back.metadata, PhotoMetadata::default());
    // With transparency the clean copy is a PNG, with no text or EXIF chunks.
    let rgba = DynamicImage::ImageRgba8(RgbaImage::from_pixel(8, 8, Rgba([1, 2, 3, 4])));
    let (png, ext) = clean_copy(&rgba).expect("clean png");
    assert_eq!(ext, "png");
    for chunk in [&b"eXIf"[..], b"tEXt", b"iTXt", b"zTXt", b"iCCP"] {
        assert!(!png.windows(4).any(|w| w == chunk));
    }
}

#[test]
fn thumbnails_fit_their_size_and_near_duplicates_hash_alike() {
    let wave = |x: u32, y: u32, fx: f32, fy: f32, phase: f32| {
        (((x as f32 / fx + phase).sin() * (y as f32 / fy).cos()) * 120.0 + 128.0) as u8
    };
    let big = DynamicImage::ImageRgb8(RgbImage::from_fn(1600, 1200, |x, y| {
        let v = wave(x, y, 90.0, 70.0, 0.0);
        Rgb([v, v / 2, 255 - v])
    }));
    let (small, jpeg) = thumbnail(&big, THUMB_SIZES[0]).expect("thumb");
    assert_eq!((small.width(), small.height()), (256, 192));
    assert_eq!(decode(&jpeg).expect("decodes").format, PhotoFormat::Jpeg);
    let (same, _) = thumbnail(&small, 1024).expect("never enlarged");
    assert_eq!(same.width(), 256);

    let original = dhash(&small);
    // Re-saved at low quality and half the size: still the same photo.
    let resaved = {
        let mut out = Vec::new();
        let half = big.resize(800, 600, image::imageops::FilterType::Triangle);
        half.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 30))
            .expect("encode");
        decode(&out).expect("decode").image
    };
    let copy = dhash(&thumbnail(&resaved, 256).expect("thumb").0);
    assert!(hamming(original, copy) <= NEAR_DUPLICATE_BITS, "{}", hamming(original, copy));
    // A different photo is far away.
    let other = DynamicImage::ImageRgb8(RgbImage::from_fn(1600, 1200, |x, y| {
        let v = wave(y, x, 55.0, 140.0, 1.3);
        Rgb([v, v, v])
    }));
    let far = dhash(&thumbnail(&other, 256).expect("thumb").0);
    assert!(hamming(original, far) > NEAR_DUPLICATE_BITS, "{}", hamming(original, far));
}

#[test]
fn stored_media_is_encrypted_and_damage_or_a_wrong_key_is_caught() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = SecretKey::from_bytes([3; 32]);
    let photo = phone_jpeg();
    for len in [0, 1, 70_000, 200_000] {
        let plain: Vec<u8> = photo.iter().copied().cycle().take(len).collect();
        let path = dir.path().join(format!("{len}.hlm"));
        let (n, digest) = seal_file(&key, &plain[..], &path).expect("seal");
        assert_eq!(n, len as u64);
        assert_eq!(digest, <[u8; 32]>::from(sha2::Sha256::digest(&plain)));
        let stored = std::fs::read(&path).expect("read");
        assert!(stored.starts_with(b"HLMEDIA1"));
        if len > 100 {
            assert!(
                !stored.windows(64).any(|w| plain.windows(64).next() == Some(w)),
                "plaintext on disk"
            );
        }
        let mut back = Vec::new();
        open_file(&key, &path).expect("open").read_to_end(&mut back).expect("read");
        assert_eq!(back, plain);
        assert_eq!(plaintext_len(&path).expect("len"), len as u64);
    }
    let path = dir.path().join("200000.hlm");
    let good = std::fs::read(&path).expect("read");
    let wrong = SecretKey::from_bytes([4; 32]);
    let read_all = |key: &SecretKey| -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        open_file(key, &path).expect("header").read_to_end(&mut out)?;
        Ok(out)
    };
    assert_eq!(read_all(&wrong).expect_err("wrong key").kind(), std::io::ErrorKind::InvalidData);
    let mut flipped = good.clone();
    flipped[100_000] ^= 1;
    std::fs::write(&path, &flipped).expect("write");
    assert_eq!(read_all(&key).expect_err("tampered").kind(), std::io::ErrorKind::InvalidData);
    std::fs::write(&path, &good[..good.len() - 10]).expect("write");
    assert!(read_all(&key).is_err(), "truncated");
    std::fs::write(&path, b"JFIF not ours").expect("write");
    assert!(matches!(open_file(&key, &path), Err(MediaError::NotAVaultFile { .. })));
}

use sha2::Digest;
