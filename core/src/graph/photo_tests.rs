//! Photos in the graph: import, encryption at rest, EXIF date as evidence, near-duplicates,
//! damaged files, deletion, and the metadata-free copy that is exported.

use super::*;
use crate::keystore::FileKeyStore;
use crate::media::tests::{encode, phone_jpeg, picture};
use image::{DynamicImage, ImageFormat};
use std::io::{Cursor, Read};

fn graph() -> (tempfile::TempDir, MemoryGraph) {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = FileKeyStore::new(dir.path().join("keys"));
    let graph = MemoryGraph::open(&dir.path().join("data"), &keys).expect("open");
    (dir, graph)
}

fn media_files(g: &MemoryGraph) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(g.data_dir().join(media::MEDIA_DIR))
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn an_imported_photo_is_encrypted_dated_and_placed_and_shared_only_clean() {
    let (dir, g) = super::test_graph_with_extractor();
    assert!(g.extractor().expect("extractor").has_geo(), "places_geo.tsv: run models/fetch.sh");
    let source = dir.path().join("IMG_0001.JPG");
    std::fs::write(&source, phone_jpeg()).expect("write");
    let m = g.add_text_memory("Paris", "we climbed the tower", None).expect("memory").memory;

    let imported = g.import_photo(m.id, &source).expect("import");
    assert!(!imported.already_stored && imported.dated_memory);
    let info = &imported.photo;
    assert_eq!((info.width, info.height), (32, 64), "stored upright");
    assert_eq!(info.format, Some(crate::media::PhotoFormat::Jpeg));
    let (lat, lon) = info.gps.expect("gps kept on the device");
    assert!((lat - 48.858).abs() < 0.01 && (lon - 2.294).abs() < 0.01);
    // The position names the place: the Eiffel Tower is in Paris, 4 km from its centre.
    assert_eq!(info.place.as_deref(), Some("Paris"));
    let place = info.media.place_entity_id.expect("place entity");
    let entity = g.entity(place).expect("entity");
    assert_eq!((entity.kind, entity.status), (EntityKind::Place, FactStatus::Inferred));
    assert_eq!(
        crate::clock::rfc3339(info.media.taken_at_ms.expect("taken")),
        "2019-07-14T13:30:00Z"
    );
    assert_eq!(
        g.memory(m.id).expect("memory").about_when,
        Some(AboutWhen::Day { year: 2019, month: 7, day: 14 }),
        "the photo's date is the memory's evidence"
    );

    // Four files, all encrypted: nothing of the photo is readable on disk.
    let files = media_files(&g);
    assert_eq!(files.len(), 4, "{files:?}");
    for f in &files {
        let bytes = std::fs::read(f).expect("read");
        assert!(bytes.starts_with(b"HLMEDIA1"), "{f:?}");
        for plain in [&b"\xFF\xD8\xFF"[..], b"Exif", b"Heirloom Test Camera", b"JFIF"] {
            assert!(!bytes.windows(plain.len()).any(|w| w == plain), "{f:?}");
        }
    }

    // Thumbnails decode; the clean copy has no metadata of any kind.
    let thumb = g.photo_rendition(info.media.id, Rendition::Thumb256).expect("thumb");
    assert_eq!(crate::media::decode(&thumb).expect("thumb decodes").image.height(), 64);
    let clean = g.photo_rendition(info.media.id, Rendition::Clean).expect("clean");
    assert!(::exif::Reader::new().read_from_container(&mut Cursor::new(&clean)).is_err());
    let mut original = Vec::new();
    g.open_media(info.media.id).expect("open").read_to_end(&mut original).expect("read");
    assert_eq!(original, phone_jpeg(), "the owner's original is kept whole");

    // What an upload would carry: the clean copy, and no time or place in media.json.
    let tar = crate::outbox::export_media(&g, info.media.id, Vec::new()).expect("export");
    let mut archive = tar::Archive::new(&tar[..]);
    let mut names = Vec::new();
    for entry in archive.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let name = entry.path().expect("path").to_string_lossy().into_owned();
        let mut body = Vec::new();
        entry.read_to_end(&mut body).expect("body");
        if name == "media.json" {
            let text = String::from_utf8(body).expect("utf8");
            for leak in ["taken", "gps", "lat", "2019", "48."] {
                assert!(!text.contains(leak), "{leak} in {text}");
            }
        } else {
            assert_eq!(body, clean, "the clean copy is what leaves");
            assert!(::exif::Reader::new().read_from_container(&mut Cursor::new(&body)).is_err());
        }
        names.push(name);
    }
    assert_eq!(names, ["media.json", "media.jpg"]);

    // Deleting the memory deletes all four files.
    let deleted = g.delete_memory(m.id).expect("delete");
    assert_eq!(deleted.removed_files.len(), 4, "{deleted:?}");
    assert!(media_files(&g).is_empty());
}

#[test]
fn the_same_photo_is_stored_once_and_a_resaved_copy_is_flagged_as_a_near_duplicate() {
    let (dir, g) = graph();
    let dated = AboutWhen::Year { year: 1975 };
    let a = g.add_text_memory("one", "first", Some(dated)).expect("memory").memory;
    let b = g.add_text_memory("two", "second", None).expect("memory").memory;
    let big = DynamicImage::ImageRgb8(image::RgbImage::from_fn(900, 600, |x, y| {
        let v = (((x as f32 / 60.0).sin() * (y as f32 / 45.0).cos()) * 120.0 + 128.0) as u8;
        image::Rgb([v, 255 - v, v / 3])
    }));
    let first = dir.path().join("a.png");
    std::fs::write(&first, encode(&big, ImageFormat::Png)).expect("write");
    let one = g.import_photo(a.id, &first).expect("import");
    assert!(!one.dated_memory, "a PNG without EXIF dates nothing");
    assert_eq!(g.memory(a.id).expect("memory").about_when, Some(dated), "the teller's date stays");

    // The same bytes again, into another memory: stored once, attached to both.
    let again = g.import_photo(b.id, &first).expect("again");
    assert!(again.already_stored);
    assert_eq!(again.photo.media.id, one.photo.media.id);
    assert_eq!(media_files(&g).len(), 4);

    // Re-saved smaller as a JPEG: a new photo, flagged as looking the same.
    let resaved = dir.path().join("b.jpg");
    let small = big.resize(450, 300, image::imageops::FilterType::Triangle);
    std::fs::write(&resaved, encode(&small, ImageFormat::Jpeg)).expect("write");
    let two = g.import_photo(b.id, &resaved).expect("import");
    assert!(!two.already_stored);
    assert_eq!(two.photo.near_duplicates, vec![one.photo.media.id]);
    assert_eq!(
        g.photo(one.photo.media.id).expect("photo").near_duplicates,
        vec![two.photo.media.id]
    );
    // An unrelated picture is not.
    let other = dir.path().join("c.webp");
    let wide = DynamicImage::ImageRgb8(picture()).resize_exact(
        640,
        320,
        image::imageops::FilterType::Nearest,
    );
    std::fs::write(&other, encode(&wide, ImageFormat::WebP)).expect("write");
    assert!(g.import_photo(a.id, &other).expect("import").photo.near_duplicates.is_empty());
}

#[test]
fn damaged_photos_and_other_files_are_refused_and_leave_nothing_behind() {
    let (dir, g) = graph();
    let m = g.add_text_memory("m", "text", None).expect("memory").memory;
    let jpeg = phone_jpeg();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("cut.jpg", jpeg[..jpeg.len() / 2].to_vec()),
        ("notes.jpg", b"shopping list: eggs".to_vec()),
        ("empty.png", Vec::new()),
    ];
    for (name, bytes) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        let err = g.import_photo(m.id, &path).expect_err(name);
        assert!(matches!(err, GraphError::Media(_)), "{name}: {err:?}");
        assert!(!err.to_string().contains(name), "error names no file");
    }
    assert!(matches!(
        g.import_photo(m.id, &dir.path().join("missing.jpg")),
        Err(GraphError::Media(crate::media::MediaError::Io { .. }))
    ));
    assert!(matches!(
        g.import_photo(9_999, &dir.path().join("cut.jpg")),
        Err(GraphError::NotFound { .. })
    ));
    assert!(media_files(&g).is_empty());
    assert!(g.memory_detail(m.id).expect("detail").media.is_empty());
}
