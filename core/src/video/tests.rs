//! Storyboards from real graphs: photos, narration, captions, edits, and the Ken Burns crops.

use super::storyboard::ken_burns;
use super::storyboard::Rect;
use super::*;
use crate::graph::{MemoryGraph, NewSegment};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};

fn voice_memory(dir: &std::path::Path, g: &MemoryGraph, seconds: u32) -> (i64, i64) {
    let wav = dir.join("voice.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&wav, spec).expect("wav");
    for i in 0..16_000 * seconds {
        let s = (i as f32 * 220.0 * std::f32::consts::TAU / 16_000.0).sin();
        w.write_sample((s * 6_000.0) as i16).expect("sample");
    }
    w.finalize().expect("wav");
    let (memory, recording) = g.import_audio(&wav, "The lake").expect("import");
    let lines = [
        (0, 2_500, "We drove up in the old car."),
        (2_500, 6_000, "The water was cold."),
        (6_000, 10_000, "Dad caught nothing all day."),
    ];
    let segments: Vec<NewSegment> = lines
        .iter()
        .map(|&(a, b, t)| NewSegment { start_ms: a, end_ms: b, text: t.into(), confidence: 0.9 })
        .collect();
    g.add_segments(memory.id, Some(recording.id), &segments).expect("segments");
    (memory.id, recording.id)
}

fn add_photo(
    dir: &std::path::Path,
    g: &MemoryGraph,
    memory: i64,
    name: &str,
    w: u32,
    h: u32,
) -> i64 {
    let image = DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
        Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, name.len() as u8 * 20])
    }));
    let path = dir.join(name);
    image.save_with_format(&path, ImageFormat::Png).expect("png");
    g.import_photo(memory, &path).expect("photo").photo.media.id
}

fn graph() -> (tempfile::TempDir, MemoryGraph) {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = crate::keystore::FileKeyStore::new(dir.path().join("keys"));
    let g = MemoryGraph::open(&dir.path().join("data"), &keys).expect("open");
    (dir, g)
}

#[test]
fn a_narrated_memory_becomes_timed_scenes_and_captions() {
    let (dir, g) = graph();
    let (memory, recording) = voice_memory(dir.path(), &g, 10);
    let a = add_photo(dir.path(), &g, memory, "a.png", 400, 300);
    let b = add_photo(dir.path(), &g, memory, "bb.png", 300, 500);
    let c = add_photo(dir.path(), &g, memory, "ccc.png", 900, 300);

    let board = storyboard(&g, memory).expect("storyboard");
    assert_eq!(board.resolution, Resolution::P720);
    assert_eq!(board.duration_ms, 10_000);
    assert_eq!(
        board.narration,
        Some(Narration { recording_id: recording, start_ms: 0, end_ms: 10_000 })
    );
    let ids: Vec<i64> = board
        .scenes
        .iter()
        .map(|s| match s.visual {
            Visual::Photo { media_id, .. } => media_id,
            Visual::TitleCard { .. } => 0,
        })
        .collect();
    assert_eq!(ids, [a, b, c]);
    let starts: Vec<u32> = board.scenes.iter().map(|s| s.start_ms).collect();
    assert_eq!(starts, [0, 3_333, 6_666]);
    // Each scene overlaps the next by the crossfade; the last ends with the narration.
    assert_eq!(board.scenes[0].duration_ms, 3_333 + CROSSFADE_MS);
    let last = board.scenes.last().expect("scene");
    assert_eq!(last.start_ms + last.duration_ms, 10_000);
    let texts: Vec<&str> = board.captions.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        texts,
        ["We drove up in the old car.", "The water was cold.", "Dad caught nothing all day."]
    );
    assert_eq!((board.captions[1].start_ms, board.captions[1].end_ms), (2_500, 6_000));
    // Round-trips as JSON, for the shells.
    let json = serde_json::to_string(&board).expect("json");
    assert_eq!(serde_json::from_str::<Storyboard>(&json).expect("back"), board);
}

#[test]
fn the_owner_reorders_drops_and_trims_and_the_edit_is_kept() {
    let (dir, g) = graph();
    let (memory, _) = voice_memory(dir.path(), &g, 10);
    let a = add_photo(dir.path(), &g, memory, "a.png", 400, 300);
    let b = add_photo(dir.path(), &g, memory, "bb.png", 300, 500);
    let c = add_photo(dir.path(), &g, memory, "ccc.png", 900, 300);
    let edit = StoryboardEdit {
        photo_order: vec![c],
        dropped: vec![b],
        span_ms: Some((2_000, 8_000)),
        resolution: Some(Resolution::P1080),
    };
    let board = edit_storyboard(&g, memory, &edit).expect("edit");
    let ids: Vec<i64> = board
        .scenes
        .iter()
        .filter_map(|s| match s.visual {
            Visual::Photo { media_id, .. } => Some(media_id),
            Visual::TitleCard { .. } => None,
        })
        .collect();
    assert_eq!(ids, [c, a]);
    assert_eq!((board.duration_ms, board.resolution), (6_000, Resolution::P1080));
    // Captions clipped to the span and timed from its start.
    let timed: Vec<(u32, u32)> = board.captions.iter().map(|c| (c.start_ms, c.end_ms)).collect();
    assert_eq!(timed, [(0, 500), (500, 4_000), (4_000, 6_000)]);
    assert_eq!(storyboard(&g, memory).expect("reloaded"), board, "the edit is saved");

    // Bad edits are refused and the saved one stays.
    let other = g.add_text_memory("other", "x", None).expect("memory").memory.id;
    let foreign = add_photo(dir.path(), &g, other, "f.png", 50, 50);
    for bad in [
        StoryboardEdit { photo_order: vec![foreign], ..Default::default() },
        StoryboardEdit { span_ms: Some((5_000, 12_000)), ..Default::default() },
        StoryboardEdit { span_ms: Some((4_000, 4_000)), ..Default::default() },
        StoryboardEdit { span_ms: Some((0, 3_000)), ..Default::default() },
    ] {
        assert!(
            matches!(edit_storyboard(&g, memory, &bad), Err(VideoError::InvalidStoryboard { .. })),
            "{bad:?}"
        );
    }
    assert_eq!(storyboard(&g, memory).expect("still"), board);
}

#[test]
fn a_memory_without_photos_or_voice_gets_a_title_card_and_even_captions() {
    let (_dir, g) = graph();
    let m = g
        .add_text_memory("Grandad's allotment", "He grew leeks.\nPrize-winning ones.", None)
        .expect("memory")
        .memory
        .id;
    let board = storyboard(&g, m).expect("storyboard");
    assert_eq!(board.narration, None);
    assert_eq!(board.scenes.len(), 1);
    assert_eq!(board.scenes[0].visual, Visual::TitleCard { title: "Grandad's allotment".into() });
    assert_eq!(board.duration_ms, 5_000);
    let timed: Vec<(u32, u32)> = board.captions.iter().map(|c| (c.start_ms, c.end_ms)).collect();
    assert_eq!(timed, [(0, 2_500), (2_500, 5_000)]);
    assert!(matches!(
        edit_storyboard(&g, m, &StoryboardEdit { span_ms: Some((0, 1_000)), ..Default::default() }),
        Err(VideoError::InvalidStoryboard { .. })
    ));
}

#[test]
fn ken_burns_crops_fit_the_frame_and_keep_the_centre_in_view() {
    for &(w, h) in &[(4000, 3000), (3000, 4000), (1920, 1080), (6000, 1000), (800, 3000), (1, 1)] {
        for frame in [(1280, 720), (1920, 1080)] {
            for index in 0..4 {
                let kb = ken_burns(w, h, frame, index);
                for r in [kb.from, kb.to] {
                    assert!(r.x >= -1e-6 && r.y >= -1e-6, "{w}x{h} {r:?}");
                    assert!(r.x + r.w <= 1.0 + 1e-5 && r.y + r.h <= 1.0 + 1e-5, "{w}x{h} {r:?}");
                    // The crop has the frame's aspect ratio, in pixels.
                    let aspect = (r.w * w as f32) / (r.h * h as f32);
                    let want = frame.0 as f32 / frame.1 as f32;
                    assert!((aspect - want).abs() < 0.01, "{w}x{h}: {aspect} vs {want}");
                    // The photo's centre stays in the middle 60% of the frame.
                    let (cx, cy) = r.centre();
                    assert!((cx - 0.5).abs() <= 0.3 * r.w + 1e-5, "{w}x{h} {r:?}");
                    assert!((cy - 0.5).abs() <= 0.3 * r.h + 1e-5, "{w}x{h} {r:?}");
                }
                assert_ne!(kb.from, kb.to, "the picture moves");
            }
        }
    }
}

fn solid(
    dir: &std::path::Path,
    g: &MemoryGraph,
    memory: i64,
    name: &str,
    w: u32,
    h: u32,
    colour: impl Fn(u32, u32) -> [u8; 3],
) -> i64 {
    let path = dir.join(name);
    RgbImage::from_fn(w, h, |x, y| Rgb(colour(x, y)))
        .save_with_format(&path, ImageFormat::Png)
        .expect("png");
    g.import_photo(memory, &path).expect("photo").photo.media.id
}

fn mean(frame: &RgbImage) -> [f64; 3] {
    let mut sum = [0f64; 3];
    for p in frame.pixels() {
        for c in 0..3 {
            sum[c] += f64::from(p[c]);
        }
    }
    let n = f64::from(frame.width() * frame.height());
    sum.map(|s| s / n)
}

#[test]
fn frames_show_each_photo_and_crossfade_between_them() {
    let (dir, g) = graph();
    let m = g.add_text_memory("Colours", "red\nblue", None).expect("memory").memory.id;
    solid(dir.path(), &g, m, "red.png", 800, 600, |_, _| [200, 0, 0]);
    solid(dir.path(), &g, m, "blue.png", 800, 600, |_, _| [0, 0, 200]);
    let board = storyboard(&g, m).expect("storyboard");
    assert_eq!((board.scenes[1].start_ms, board.scenes[0].duration_ms), (5_000, 5_600));
    let mut r = FrameRenderer::new(&g, board);
    let red = r.frame(1_000).expect("frame");
    assert_eq!(red.dimensions(), (1280, 720));
    let near = |a: [f64; 3], b: [f64; 3]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 3.0);
    assert!(near(mean(&red), [200.0, 0.0, 0.0]), "{:?}", mean(&red));
    // Halfway through the 600 ms crossfade: half of each.
    let mid = mean(&r.frame(5_300).expect("frame"));
    assert!(near(mid, [100.0, 0.0, 100.0]), "{mid:?}");
    let blue = mean(&r.frame(7_000).expect("frame"));
    assert!(near(blue, [0.0, 0.0, 200.0]), "{blue:?}");
}

#[test]
fn the_ken_burns_move_frames_the_crop_it_describes() {
    let (dir, g) = graph();
    let m = g.add_text_memory("Halves", "left and right", None).expect("memory").memory.id;
    // The frame's aspect, left half red and right half green.
    solid(dir.path(), &g, m, "halves.png", 1600, 900, |x, _| {
        if x < 800 {
            [220, 0, 0]
        } else {
            [0, 220, 0]
        }
    });
    let board = storyboard(&g, m).expect("storyboard");
    let Visual::Photo { motion, .. } = board.scenes[0].visual.clone() else { panic!("photo") };
    let mut r = FrameRenderer::new(&g, board.clone());
    let edge = |frame: &RgbImage| {
        (0..frame.width()).find(|&x| frame.get_pixel(x, 360)[1] > 110).expect("green")
    };
    // Where the photo's middle line falls in the frame for a crop.
    let expect = |rect: Rect| ((0.5 - rect.x) / rect.w * 1280.0).round() as i64;
    let start = r.frame(0).expect("frame");
    assert!(
        (i64::from(edge(&start)) - expect(motion.from)).abs() <= 2,
        "{} vs {}",
        edge(&start),
        expect(motion.from)
    );
    let end = r.frame(board.duration_ms - 1).expect("frame");
    assert!(
        (i64::from(edge(&end)) - expect(motion.to)).abs() <= 3,
        "{} vs {}",
        edge(&end),
        expect(motion.to)
    );
    assert_ne!(edge(&start), edge(&end), "the camera moved");
}

#[test]
fn the_renderer_holds_at_most_two_prescaled_photos() {
    let (dir, g) = graph();
    let m = g.add_text_memory("Many", "one\ntwo\nthree", None).expect("memory").memory.id;
    for i in 0..3u8 {
        solid(dir.path(), &g, m, &format!("big{i}.png"), 4000, 3000, move |x, y| {
            [(x % 256) as u8, (y % 256) as u8, i * 80]
        });
    }
    let board = storyboard(&g, m).expect("storyboard");
    let mut r = FrameRenderer::new(&g, board);
    // A 4000x3000 photo pre-scaled so its 16:9 crop spans 1.25 x 1280 px: 1600 x 1200 RGB.
    let one = 1600 * 1200 * 3;
    let mut peak = 0;
    for t in (0..15_000).step_by(250) {
        r.frame(t).expect("frame");
        peak = peak.max(r.held_bytes());
    }
    assert!(peak <= 2 * one + one / 10, "held {peak} bytes");
    assert!(peak >= 2 * one - one / 10, "crossfades hold two: {peak}");
    // A title card for a memory without photos.
    let bare = g.add_text_memory("Untitled days", "x", None).expect("memory").memory.id;
    let card =
        FrameRenderer::new(&g, storyboard(&g, bare).expect("board")).frame(100).expect("frame");
    assert!(card.pixels().all(|p| p.0 == [38, 34, 32]));
}
