//! Rendering real MP4s and checking them with real tools: ffprobe and ffmpeg (Debian's, as
//! `scripts/setup` installs) read the streams, decode every frame, and give back the audio and
//! pictures the checks measure.

use super::*;
use crate::graph::MemoryGraph;
use image::{ImageFormat, Rgb, RgbImage};
use std::path::{Path, PathBuf};
use std::process::Command;

fn graph() -> (tempfile::TempDir, MemoryGraph) {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = crate::keystore::FileKeyStore::new(dir.path().join("keys"));
    let g = MemoryGraph::open(&dir.path().join("data"), &keys).expect("open");
    (dir, g)
}

pub(crate) fn fonts() -> Fonts {
    Fonts::load(&crate::speech::ModelKind::default_dir()).expect("fonts (models/fetch.sh fonts)")
}

/// The beep in the narration starts here.
const BEEP_MS: u32 = 2_000;

/// A memory narrated by `seconds` of near-silence (a faint hum) with a 1 kHz beep at 2 s,
/// recorded at 44.1 kHz (so the narration goes through the resampler), two captions and two
/// detailed photos.
fn narrated_memory(dir: &Path, g: &MemoryGraph, seconds: u32) -> i64 {
    let rate = 44_100u32;
    let wav = dir.join("voice.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&wav, spec).expect("wav");
    let beep = (rate * BEEP_MS / 1000, rate * (BEEP_MS + 150) / 1000);
    for i in 0..rate * seconds {
        let t = i as f32 / rate as f32;
        let s = if (beep.0..beep.1).contains(&i) {
            (t * 1_000.0 * std::f32::consts::TAU).sin() * 0.6
        } else {
            (t * 100.0 * std::f32::consts::TAU).sin() * 0.002
        };
        w.write_sample((s * 32_767.0) as i16).expect("sample");
    }
    w.finalize().expect("wav");
    let (memory, recording) = g.import_audio(&wav, "The lake").expect("import");
    let segments = [
        crate::graph::NewSegment {
            start_ms: 0,
            end_ms: 2_500,
            text: "We drove up to the lake in the old car, all five of us.".into(),
            confidence: 0.9,
        },
        crate::graph::NewSegment {
            start_ms: 2_500,
            end_ms: i64::from(seconds) * 1000,
            text: "祖母说湖水很冷".into(),
            confidence: 0.9,
        },
    ];
    g.add_segments(memory.id, Some(recording.id), &segments).expect("segments");
    for (name, tint) in [("a.png", 0u8), ("b.png", 120u8)] {
        let path = dir.join(name);
        let mut picture = crate::media::tests::picture();
        for p in picture.pixels_mut() {
            p[2] = p[2].wrapping_add(tint);
        }
        image::DynamicImage::ImageRgb8(picture)
            .save_with_format(&path, ImageFormat::Png)
            .expect("png");
        g.import_photo(memory.id, &path).expect("photo");
    }
    memory.id
}

fn tool(name: &str, args: &[&str]) -> std::process::Output {
    let out = Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} is needed (scripts/setup installs ffmpeg): {e}"));
    assert!(out.status.success(), "{name} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// ffprobe's view of a file: its streams and container, as JSON.
fn ffprobe(path: &Path) -> serde_json::Value {
    let path = path.to_str().expect("utf-8 path");
    let out =
        tool("ffprobe", &["-v", "error", "-show_streams", "-show_format", "-of", "json", path]);
    serde_json::from_slice(&out.stdout).expect("json")
}

/// Renders `board` to `dest` with the software encoders.
fn render_with(
    g: &MemoryGraph,
    board: &Storyboard,
    fonts: Option<Fonts>,
    dest: &Path,
    progress: &mut dyn FnMut(RenderProgress),
    cancel: &crate::speech::CancelToken,
) -> Result<RenderReport, VideoError> {
    let mut video = OpenH264Encoder::new();
    let mut audio = OpusEncoder::new().expect("opus");
    let encoders = Encoders { video: &mut video, audio: &mut audio };
    render_to_file(g, board, fonts, encoders, dest, progress, cancel)
}

fn render_file(g: &MemoryGraph, memory: i64, dest: &Path) -> (Storyboard, RenderReport) {
    let board = storyboard(g, memory).expect("storyboard");
    let mut seen = Vec::new();
    let report = render_with(
        g,
        &board,
        Some(fonts()),
        dest,
        &mut |p| seen.push(p),
        &crate::speech::CancelToken::new(),
    )
    .expect("render");
    assert_eq!(seen.len() as u64, report.frames, "progress for every frame");
    assert!(seen.windows(2).all(|w| w[0].frames_done < w[1].frames_done));
    assert_eq!(seen.last().map(|p| p.frames_done), Some(report.frames));
    (board, report)
}

fn psnr(a: &RgbImage, b: &RgbImage) -> f64 {
    let mut se = 0f64;
    for (p, q) in a.as_raw().iter().zip(b.as_raw()) {
        let d = f64::from(*p) - f64::from(*q);
        se += d * d;
    }
    let mse = se / a.as_raw().len() as f64;
    10.0 * (255.0f64 * 255.0 / mse.max(1e-9)).log10()
}

/// The MP4's top-level boxes, in order.
fn top_level_boxes(bytes: &[u8]) -> Vec<String> {
    let mut boxes = Vec::new();
    let mut at = 0usize;
    while at + 8 <= bytes.len() {
        let size = u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4")) as usize;
        boxes.push(String::from_utf8_lossy(&bytes[at + 4..at + 8]).into_owned());
        if size < 8 {
            break;
        }
        at += size;
    }
    boxes
}

#[test]
fn yuv_uses_the_bt601_limited_range_matrix_and_inverts_it() {
    let colours = [
        ([255, 255, 255], [235, 128, 128]),
        ([0, 0, 0], [16, 128, 128]),
        ([255, 0, 0], [81, 90, 240]),
        ([0, 255, 0], [145, 54, 34]),
        ([0, 0, 255], [41, 240, 110]),
        ([128, 128, 128], [126, 128, 128]),
    ];
    for (rgb, yuv) in colours {
        let mut frame = I420::new(4, 2);
        frame.fill_from_rgb(&RgbImage::from_pixel(4, 2, Rgb(rgb)));
        let (y, u, v) = frame.planes();
        assert_eq!([y[0], u[0], v[0]], yuv, "{rgb:?}");
        let back = frame.to_rgb();
        let p = back.get_pixel(1, 1).0;
        assert!(p.iter().zip(rgb).all(|(a, b)| (i32::from(*a) - i32::from(b)).abs() <= 2), "{p:?}");
    }
}

#[test]
fn captions_wrap_fit_and_fall_back_to_a_cjk_font() {
    let fonts = fonts();
    let dir = crate::speech::ModelKind::default_dir().join(FONT_DIR);
    let latin_only =
        Fonts::from_bytes(std::fs::read(dir.join("DejaVuSans.ttf")).expect("font"), None)
            .expect("fonts");
    assert!(fonts.covers('祖') && !latin_only.covers('祖') && latin_only.covers('é'));
    // A damaged font file is a typed error, not a panic.
    let cut = std::fs::read(dir.join("DejaVuSans.ttf")).expect("font")[..5_000].to_vec();
    for bad in [b"not a font at all".to_vec(), cut] {
        assert!(matches!(Fonts::from_bytes(bad, None), Err(VideoError::Font { .. })));
    }
    // Chinese has no glyphs without the fallback: nothing to draw rather than boxes.
    assert!(latin_only.block("祖母说", 1280, 720, Placement::Bottom).is_none());
    let cjk = fonts.block("祖母说湖水很冷", 1280, 720, Placement::Bottom).expect("drawn");
    let ink = |b: &TextBlock| {
        let mut frame = RgbImage::from_pixel(1280, 720, Rgb([0, 0, 0]));
        b.draw(&mut frame, 1.0);
        frame.pixels().filter(|p| p[0] > 128).count()
    };
    assert!(ink(&cjk) > 800, "CJK glyphs drawn: {}", ink(&cjk));

    // A long caption wraps onto more lines, stays inside the frame, and sits at the bottom.
    let short = fonts.block("Hello", 1280, 720, Placement::Bottom).expect("drawn");
    let long_text = "We drove up to the lake in the old car, all five of us, and Dad sang \
        the whole way there although none of us knew the words to any of his songs";
    let long = fonts.block(long_text, 1280, 720, Placement::Bottom).expect("drawn");
    let (x, y, w, h) = long.rect();
    assert!(x >= 0 && w <= 1280 && (x as u32 + w) <= 1280, "inside the frame");
    assert!(h >= short.rect().3 * 2, "wrapped onto several lines: {h}");
    assert!(y as u32 + h < 720 && y > 360, "at the bottom: {y}+{h}");
    let huge = fonts.block(&long_text.repeat(6), 1280, 720, Placement::Bottom).expect("drawn");
    assert!(huge.rect().3 < 720 / 2, "at most three lines, however long");
}

#[test]
fn a_memory_renders_to_an_mp4_that_ffmpeg_reads_in_sync() {
    let (dir, g) = graph();
    let memory = narrated_memory(dir.path(), &g, 6);
    let out = dir.path().join("memory.mp4");
    let (board, report) = render_file(&g, memory, &out);
    assert_eq!((report.width, report.height, report.frames), (1280, 720, 180));
    let bytes = std::fs::read(&out).expect("mp4");
    assert_eq!(report.bytes, bytes.len() as u64);
    // Faststart: the index comes before the media data.
    let boxes = top_level_boxes(&bytes);
    let (moov, mdat) = (
        boxes.iter().position(|b| b == "moov").expect("moov"),
        boxes.iter().position(|b| b == "mdat").expect("mdat"),
    );
    assert!(boxes[0] == "ftyp" && moov < mdat, "{boxes:?}");

    let path = out.to_str().expect("utf-8 path");
    let probe = ffprobe(&out);
    let streams = probe["streams"].as_array().expect("streams");
    assert_eq!(streams.len(), 2, "{probe}");
    let video = streams.iter().find(|s| s["codec_type"] == "video").expect("video stream");
    let audio = streams.iter().find(|s| s["codec_type"] == "audio").expect("audio stream");
    assert_eq!(video["codec_name"], "h264");
    assert_eq!(video["profile"], "Constrained Baseline");
    assert_eq!((video["width"].as_u64(), video["height"].as_u64()), (Some(1280), Some(720)));
    assert_eq!(video["pix_fmt"], "yuv420p");
    // The signalled colour matches the matrix the frames were converted with.
    assert_eq!(video["color_range"], "tv");
    assert_eq!(video["color_space"], "smpte170m");
    assert_eq!(video["r_frame_rate"], "30/1");
    assert_eq!(audio["codec_name"], "opus");
    assert_eq!(audio["sample_rate"], "48000");
    assert_eq!(audio["channels"].as_u64(), Some(1));
    let seconds = |s: &serde_json::Value| -> f64 {
        s["duration"].as_str().and_then(|d| d.parse().ok()).expect("duration")
    };
    assert!((seconds(video) - 6.0).abs() < 0.05, "video {}", seconds(video));
    assert!((seconds(audio) - 6.0).abs() < 0.05, "audio {}", seconds(audio));
    // Nothing about the memory in the container.
    let tags = probe["format"]["tags"].as_object().cloned().unwrap_or_default();
    assert!(!tags.contains_key("title") && !tags.contains_key("location"), "{tags:?}");
    assert!(!bytes.windows(8).any(|w| w == b"The lake"), "no title in the file");

    // Every frame decodes without a complaint.
    let decode = tool("ffmpeg", &["-v", "error", "-i", path, "-f", "null", "-"]);
    assert!(decode.stderr.is_empty(), "{}", String::from_utf8_lossy(&decode.stderr));

    // A/V sync: where the beep starts in the decoded audio, against where it is in the
    // narration (the video's first frame is at 0).
    assert_eq!(video["start_time"].as_str(), Some("0.000000"));
    let pcm = tool(
        "ffmpeg",
        &["-v", "error", "-i", path, "-map", "0:a", "-f", "s16le", "-ac", "1", "-ar", "48000", "-"],
    )
    .stdout;
    let samples: Vec<i16> = pcm.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect();
    let onset = samples.iter().position(|s| s.unsigned_abs() > 8_000).expect("the beep");
    let offset_ms = onset as f64 / 48.0 - f64::from(BEEP_MS);
    eprintln!("A/V offset of the narration: {offset_ms:+.2} ms");
    assert!(offset_ms.abs() <= 40.0, "narration off by {offset_ms} ms");
    assert!(offset_ms.abs() <= 5.0, "the pre-skip is honoured: {offset_ms} ms");
    assert!((samples.len() as f64 / 48_000.0 - 6.0).abs() < 0.05, "{}", samples.len());

    // The decoded picture mid-way through the first scene matches the rendered frame.
    for (frame_index, label) in [(45u64, "mid-scene"), (90, "crossfade")] {
        let t_ms = (frame_index * 1000 / u64::from(FPS)) as u32;
        let rgb = tool(
            "ffmpeg",
            &[
                "-v",
                "error",
                "-i",
                path,
                "-vf",
                &format!("select=eq(n\\,{frame_index})"),
                "-frames:v",
                "1",
                "-f",
                "rawvideo",
                "-pix_fmt",
                "rgb24",
                "-",
            ],
        )
        .stdout;
        let decoded = RgbImage::from_raw(1280, 720, rgb).expect("one 720p frame");
        let mut renderer = FrameRenderer::new(&g, board.clone()).with_fonts(fonts());
        let drawn = renderer.frame(t_ms).expect("frame");
        let quality = psnr(&drawn, &decoded);
        eprintln!("PSNR at frame {frame_index} ({label}): {quality:.2} dB");
        // Measured 40.7 dB mid-scene and 44.5 dB in the crossfade (openh264, 3 Mb/s).
        assert!(quality > 36.0, "{label}: {quality:.2} dB");
    }
}

#[test]
fn a_memory_without_narration_renders_pictures_only_and_cancel_leaves_nothing() {
    let (dir, g) = graph();
    let m = g.add_text_memory("Harvest", "We brought the hay in.", None).expect("m").memory.id;
    let board = storyboard(&g, m).expect("storyboard");
    assert!(board.narration.is_none());
    let out = dir.path().join("card.mp4");
    let report = render_with(
        &g,
        &board,
        Some(fonts()),
        &out,
        &mut |_| {},
        &crate::speech::CancelToken::new(),
    )
    .expect("render");
    assert_eq!(report.audio_packets, 0);
    let probe = ffprobe(&out);
    assert_eq!(probe["streams"].as_array().map(Vec::len), Some(1), "video only");
    // The title is drawn on the card: bright text on the dark card in the middle.
    let mut r = FrameRenderer::new(&g, board.clone()).with_fonts(fonts());
    let frame = r.frame(1_000).expect("frame");
    let bright =
        frame.enumerate_pixels().filter(|(_, y, p)| (250..470).contains(y) && p[0] > 200).count();
    assert!(bright > 1_000, "title drawn: {bright}");
    let plain = FrameRenderer::new(&g, board.clone()).frame(1_000).expect("frame");
    assert!(plain.pixels().all(|p| p[0] < 100), "no fonts: a plain card");

    // Cancelled after ten frames: an error, and no file.
    let cancel = crate::speech::CancelToken::new();
    let dest = dir.path().join("cancelled.mp4");
    let c = cancel.clone();
    let result = render_with(
        &g,
        &board,
        None,
        &dest,
        &mut |p| {
            if p.frames_done == 10 {
                c.cancel();
            }
        },
        &cancel,
    );
    assert!(matches!(result, Err(VideoError::Cancelled)), "{result:?}");
    assert!(!dest.exists());
    let leftovers: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(".tmp")))
        .collect();
    assert!(leftovers.is_empty(), "scratch files left: {leftovers:?}");
}

#[test]
fn a_rendered_video_is_stored_encrypted_with_its_memory() {
    let (dir, g) = graph();
    let memory = narrated_memory(dir.path(), &g, 5);
    let mut video = OpenH264Encoder::new();
    let mut audio = OpusEncoder::new().expect("opus");
    let (media, report) = render_memory_video(
        &g,
        memory,
        Some(fonts()),
        Encoders { video: &mut video, audio: &mut audio },
        &mut |_| {},
        &crate::speech::CancelToken::new(),
    )
    .expect("render");
    assert_eq!(media.kind, crate::graph::MediaKind::Video);
    assert!(media.path.ends_with(".mp4.hlm"), "{}", media.path);
    let stored = std::fs::read(g.data_file(&media.path).expect("path")).expect("stored");
    assert!(!stored.windows(4).any(|w| w == b"ftyp" || w == b"moov"), "encrypted at rest");
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut g.open_media(media.id).expect("open"), &mut plain)
        .expect("read");
    assert_eq!(plain.len() as u64, report.bytes);
    assert_eq!(&plain[4..8], b"ftyp");
    let detail = g.memory_detail(memory).expect("detail");
    assert!(detail.media.iter().any(|m| m.id == media.id), "attached to the memory");
}

/// Serves `page` at `/` and `video` at `/memory.mp4` (with byte ranges, as media elements ask)
/// on 127.0.0.1 until dropped; what the page reports to `/result?…` arrives on the channel.
struct PageServer {
    port: u16,
    results: std::sync::mpsc::Receiver<String>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Drop for PageServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

fn serve(page: String, video: Vec<u8>) -> PageServer {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("addr").port();
    let (tx, results) = std::sync::mpsc::channel();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopping = stop.clone();
    let video = std::sync::Arc::new(video);
    std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while !stopping.load(std::sync::atomic::Ordering::Relaxed)
            && std::time::Instant::now() < deadline
        {
            let Ok((stream, _)) = listener.accept() else {
                std::thread::sleep(std::time::Duration::from_millis(20));
                continue;
            };
            let (page, video, tx) = (page.clone(), video.clone(), tx.clone());
            std::thread::spawn(move || {
                let _ = stream.set_nonblocking(false);
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut request = String::new();
                let _ = reader.read_line(&mut request);
                let mut range = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("range: bytes=") {
                        let (a, b) = v.trim().split_once('-').unwrap_or((v.trim(), ""));
                        let start: usize = a.parse().unwrap_or(0);
                        let end: usize = b.parse().unwrap_or(video.len() - 1).min(video.len() - 1);
                        range = Some((start, end));
                    }
                }
                let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let mut out = stream;
                if let Some(result) = path.strip_prefix("/result?") {
                    let _ = tx.send(result.to_owned());
                    let _ = out.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
                } else if path == "/memory.mp4" {
                    let (start, end) = range.unwrap_or((0, video.len() - 1));
                    let head = if range.is_some() {
                        format!(
                            "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {start}-{end}/{}\r\n",
                            video.len()
                        )
                    } else {
                        "HTTP/1.1 200 OK\r\n".to_owned()
                    };
                    let _ = out.write_all(
                        format!(
                            "{head}Content-Type: video/mp4\r\nAccept-Ranges: bytes\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            end + 1 - start
                        )
                        .as_bytes(),
                    );
                    let _ = out.write_all(&video[start..=end]);
                } else {
                    let _ = out.write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                            page.len()
                        )
                        .as_bytes(),
                    );
                }
            });
        }
    });
    PageServer { port, results, stop }
}

#[test]
fn a_rendered_video_plays_in_headless_chromium() {
    let (dir, g) = graph();
    let memory = narrated_memory(dir.path(), &g, 6);
    let out = dir.path().join("memory.mp4");
    render_file(&g, memory, &out);
    let page = r#"<!doctype html><video id="v" src="/memory.mp4" preload="auto" muted playsinline></video>
<script>
const v = document.getElementById('v');
let sent = false;
const report = (o) => { if (!sent) { sent = true; fetch('/result?' + encodeURIComponent(JSON.stringify(o))); } };
const check = () => {
  if (v.readyState === 4 && v.currentTime > 1.0) {
    report({readyState: v.readyState, duration: v.duration, width: v.videoWidth, height: v.videoHeight, time: v.currentTime});
  }
};
v.addEventListener('canplaythrough', () => { v.play().catch(e => report({play: String(e)})); });
v.addEventListener('timeupdate', check);
v.addEventListener('error', () => report({error: v.error && v.error.code, message: v.error && v.error.message}));
setTimeout(() => report({timeout: true, readyState: v.readyState, time: v.currentTime}), 30000);
</script>"#;
    let server = serve(page.to_owned(), std::fs::read(&out).expect("mp4"));
    let profile = tempfile::tempdir().expect("profile");
    let mut chromium = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
            "--disable-quic",
            "--autoplay-policy=no-user-gesture-required",
            &format!("--user-data-dir={}", profile.path().display()),
            &format!("http://127.0.0.1:{}/", server.port),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("chromium (scripts/setup installs Debian's chromium)");
    let result = server.results.recv_timeout(std::time::Duration::from_secs(60));
    let _ = chromium.kill();
    let _ = chromium.wait();
    let result = result.expect("the page reports");
    let decoded: String = url_decode(&result);
    let doc: serde_json::Value = serde_json::from_str(&decoded).expect("json");
    eprintln!("chromium: {doc}");
    assert_eq!(doc["readyState"], 4, "{doc}");
    let duration = doc["duration"].as_f64().expect("duration");
    assert!((duration - 6.0).abs() < 0.05, "{doc}");
    assert_eq!((doc["width"].as_u64(), doc["height"].as_u64()), (Some(1280), Some(720)));
}

fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn a_phone_video_leaves_without_its_place_camera_or_title() {
    let (dir, g) = graph();
    let m = g.add_text_memory("Beach", "Waves.", None).expect("memory").memory.id;
    // A video as a phone would write it: the place, a title, a camera model, a date.
    let clip = dir.path().join("clip.mp4");
    let clip_s = clip.to_str().expect("path");
    tool(
        "ffmpeg",
        &[
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:duration=1",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-metadata",
            "location=+48.8584+002.2945/",
            "-metadata",
            "title=Secret beach",
            "-metadata",
            "make=Pixel-9-Pro",
            "-metadata",
            "creation_time=2026-06-01T10:00:00Z",
            "-movflags",
            "+use_metadata_tags",
            clip_s,
        ],
    );
    let original = std::fs::read(&clip).expect("clip");
    assert!(original.windows(8).any(|w| w == b"+48.8584"), "the test clip carries its place");
    let media = g.import_media_file(m, &clip, crate::graph::MediaKind::Video).expect("attach");
    let tar = crate::outbox::export_media(&g, media.id, Vec::new()).expect("export");
    let mut archive = tar::Archive::new(&tar[..]);
    let mut sent = Vec::new();
    for entry in archive.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        if entry.path().expect("path").to_string_lossy().starts_with("media.mp4") {
            std::io::Read::read_to_end(&mut entry, &mut sent).expect("read");
        }
    }
    assert_eq!(sent.len(), original.len(), "same size: metadata blanked, nothing moved");
    for secret in [&b"+48.8584"[..], b"Secret beach", b"Pixel-9-Pro"] {
        assert!(!sent.windows(secret.len()).any(|w| w == secret), "{secret:?} left the device");
    }
    // Still a good video: ffprobe finds no tags, ffmpeg decodes it without a complaint.
    let out = dir.path().join("sent.mp4");
    std::fs::write(&out, &sent).expect("write");
    let path = out.to_str().expect("path");
    let probe = ffprobe(&out);
    let tags = probe["format"]["tags"].as_object().cloned().unwrap_or_default();
    for key in
        ["location", "title", "make", "creation_time", "com.apple.quicktime.location.ISO6709"]
    {
        assert!(!tags.contains_key(key), "{key} in {tags:?}");
    }
    assert_eq!(probe["streams"][0]["codec_name"], "h264");
    let decode = tool("ffmpeg", &["-v", "error", "-i", path, "-f", "null", "-"]);
    assert!(decode.stderr.is_empty(), "{}", String::from_utf8_lossy(&decode.stderr));
    // Something that is not an MP4 does not leave at all.
    let odd = dir.path().join("odd.mov");
    std::fs::write(&odd, b"not a video, whatever it is called").expect("write");
    let odd = g.import_media_file(m, &odd, crate::graph::MediaKind::Video).expect("attach");
    assert!(crate::outbox::export_media(&g, odd.id, Vec::new()).is_err());
}

#[test]
fn the_owner_can_choose_1080p() {
    let (dir, g) = graph();
    let m = g.add_text_memory("Harvest", "We brought the hay in.", None).expect("m").memory.id;
    let edit = StoryboardEdit { resolution: Some(Resolution::P1080), ..Default::default() };
    let board = edit_storyboard(&g, m, &edit).expect("edit");
    let out = dir.path().join("hd.mp4");
    let report = render_with(
        &g,
        &board,
        Some(fonts()),
        &out,
        &mut |_| {},
        &crate::speech::CancelToken::new(),
    )
    .expect("render");
    assert_eq!((report.width, report.height), (1920, 1080));
    let probe = ffprobe(&out);
    let s = &probe["streams"][0];
    assert_eq!((s["width"].as_u64(), s["height"].as_u64()), (Some(1920), Some(1080)));
    assert_eq!(s["profile"], "Constrained Baseline");
}
