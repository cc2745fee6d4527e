//! Capture against real files: round trips, crashes, torn tails, tampering, wrong keys.

use super::*;
use crate::keystore::SecretKey;
use std::path::{Path, PathBuf};

const RATE: u32 = 16_000;
const HOUR: u32 = 3600;

fn key() -> SecretKey {
    SecretKey::from_bytes([7; 32])
}

/// A recognisable, non-silent signal: a ramp that wraps.
fn tone(frames: usize, channels: u16) -> Vec<i16> {
    (0..frames * usize::from(channels)).map(|i| ((i * 37) % 20_000) as i16 - 10_000).collect()
}

fn only_file(dir: &Path, ending: &str) -> PathBuf {
    let found: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(ending))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found[0].clone()
}

#[test]
fn round_trip_mono_and_stereo_in_both_sample_formats() {
    let dir = tempfile::tempdir().expect("tempdir");
    for channels in [1u16, 2] {
        let mut w = RecordingWriter::create(dir.path(), &key(), RATE, channels).expect("create");
        let a = tone(RATE as usize * 2 + 123, channels);
        w.push_i16(&a[..1000 * usize::from(channels)]).expect("push");
        w.push_i16(&a[1000 * usize::from(channels)..]).expect("push");
        let f: Vec<f32> = vec![0.5, -1.5, f32::NAN, 1.0][..usize::from(channels) * 2].to_vec();
        w.push_f32(&f).expect("push f32");
        let path = w.finish().expect("finish");
        let audio = read_recording(&path, &key(), HOUR).expect("read");
        assert_eq!((audio.sample_rate, audio.channels), (RATE, channels));
        assert_eq!(&audio.samples[..a.len()], &a[..]);
        let tail = &audio.samples[a.len()..];
        let expected: Vec<i16> = [16_384, -32_767, 0, 32_767][..usize::from(channels) * 2].to_vec();
        assert_eq!(tail, &expected[..]);
        assert_eq!(audio.duration_ms(), 2007);
        std::fs::remove_file(path).expect("rm");
    }
}

#[test]
fn audio_is_durable_within_a_second_and_recovered_after_a_crash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = RecordingWriter::create(dir.path(), &key(), RATE, 1).expect("create");
    let a = tone(RATE as usize * 7 / 2, 1);
    w.push_i16(&a).expect("push");
    assert_eq!(w.durable_ms(), 3000, "three whole seconds on disk, half a second pending");
    // A crash: no finish, pending audio lost.
    w.simulate_crash();
    let part = only_file(dir.path(), ".hla.part");
    let recovered = recover_interrupted(dir.path(), &key()).expect("recover").recovered;
    assert_eq!(recovered.len(), 1);
    assert_eq!(recovered[0].duration_ms, 3000);
    assert!(!part.exists());
    let audio = read_recording(&recovered[0].path, &key(), HOUR).expect("read recovered");
    assert_eq!(audio.samples, &a[..RATE as usize * 3]);
    assert!(
        recover_interrupted(dir.path(), &key()).expect("again").recovered.is_empty(),
        "idempotent"
    );
}

#[test]
fn dropping_without_finish_keeps_every_sample() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = tone(RATE as usize + 500, 1);
    {
        let mut w = RecordingWriter::create(dir.path(), &key(), RATE, 1).expect("create");
        w.push_i16(&a).expect("push");
    }
    let recovered = recover_interrupted(dir.path(), &key()).expect("recover").recovered;
    let audio = read_recording(&recovered[0].path, &key(), HOUR).expect("read");
    assert_eq!(audio.samples, a);
}

#[test]
fn a_torn_last_chunk_is_cut_off_and_the_rest_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = RecordingWriter::create(dir.path(), &key(), RATE, 1).expect("create");
    w.push_i16(&tone(RATE as usize * 2, 1)).expect("push");
    w.simulate_crash();
    let part = only_file(dir.path(), ".hla.part");
    // Half of a third chunk reached the disk.
    let mut bytes = std::fs::read(&part).expect("read");
    bytes.extend_from_slice(&(32_016u32).to_le_bytes());
    bytes.extend_from_slice(&[0xAB; 9_000]);
    std::fs::write(&part, &bytes).expect("write");
    let recovered = recover_interrupted(dir.path(), &key()).expect("recover").recovered;
    assert_eq!(recovered[0].duration_ms, 2000);
    assert_eq!(recovered[0].discarded_bytes, 9_004);
    read_recording(&recovered[0].path, &key(), HOUR).expect("a valid recording again");
}

#[test]
fn tampering_wrong_keys_and_truncation_are_typed_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = RecordingWriter::create(dir.path(), &key(), RATE, 1).expect("create");
    w.push_i16(&tone(RATE as usize * 3, 1)).expect("push");
    let path = w.finish().expect("finish");
    let good = std::fs::read(&path).expect("read");

    let mut flipped = good.clone();
    let chunk = 32 + 4 + 32_016 + 4 + 100; // a byte inside chunk 1
    flipped[chunk] ^= 0x01;
    std::fs::write(&path, &flipped).expect("write");
    assert!(matches!(
        read_recording(&path, &key(), HOUR),
        Err(CaptureError::Tampered { index: 1 })
    ));

    std::fs::write(&path, &good).expect("write");
    let other = SecretKey::from_bytes([8; 32]);
    assert!(matches!(
        read_recording(&path, &other, HOUR),
        Err(CaptureError::Tampered { index: 0 })
    ));

    // Dropping the closing chunk (or more) is detected: the STREAM construction.
    let closing = 4 + 16;
    std::fs::write(&path, &good[..good.len() - closing]).expect("write");
    assert!(matches!(
        read_recording(&path, &key(), HOUR),
        Err(CaptureError::Truncated { chunks: 3 })
    ));

    // Bytes appended after the closing chunk.
    let mut appended = good.clone();
    appended.extend_from_slice(b"extra");
    std::fs::write(&path, &appended).expect("write");
    assert!(matches!(read_recording(&path, &key(), HOUR), Err(CaptureError::NotARecording { .. })));

    // A header from another file (different file id): every chunk fails.
    let mut w2 = RecordingWriter::create(dir.path(), &key(), RATE, 1).expect("create");
    w2.push_i16(&tone(10, 1)).expect("push");
    let other_file = std::fs::read(w2.finish().expect("finish")).expect("read");
    let mut spliced = other_file[..32].to_vec();
    spliced.extend_from_slice(&good[32..]);
    std::fs::write(&path, &spliced).expect("write");
    assert!(matches!(
        read_recording(&path, &key(), HOUR),
        Err(CaptureError::Tampered { index: 0 })
    ));

    for (bytes, what) in [
        (&b""[..], "empty"),
        (&good[..20], "short header"),
        (&b"RIFF\0\0\0\0WAVEfmt xxxxxxxxxxxxxxxxxxxx"[..], "a WAV file"),
    ] {
        std::fs::write(&path, bytes).expect("write");
        assert!(
            matches!(read_recording(&path, &key(), HOUR), Err(CaptureError::NotARecording { .. })),
            "{what}"
        );
    }
    let mut huge = good[..32].to_vec();
    huge.extend_from_slice(&u32::MAX.to_le_bytes());
    std::fs::write(&path, &huge).expect("write");
    assert!(read_recording(&path, &key(), HOUR).is_err(), "absurd chunk length never allocates");
}

#[test]
fn long_recordings_are_refused_before_they_are_held() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = RecordingWriter::create(dir.path(), &key(), 8_000, 1).expect("create");
    w.push_i16(&tone(8_000 * 5, 1)).expect("push");
    let path = w.finish().expect("finish");
    assert!(matches!(
        read_recording(&path, &key(), 3),
        Err(CaptureError::TooLong { max_seconds: 3 })
    ));
    assert_eq!(read_recording(&path, &key(), 5).expect("fits").duration_ms(), 5000);
}

#[test]
fn bad_formats_and_frames_are_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (rate, channels) in [(96_000, 1), (4_000, 1), (16_000, 0), (16_000, 6)] {
        assert!(matches!(
            RecordingWriter::create(dir.path(), &key(), rate, channels),
            Err(CaptureError::UnsupportedFormat { .. })
        ));
    }
    let mut w = RecordingWriter::create(dir.path(), &key(), RATE, 2).expect("create");
    assert!(matches!(
        w.push_i16(&[1, 2, 3]),
        Err(CaptureError::RaggedFrames { len: 3, channels: 2 })
    ));
}

#[test]
fn no_audio_is_readable_in_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = RecordingWriter::create(dir.path(), &key(), RATE, 1).expect("create");
    let a = tone(RATE as usize * 2, 1);
    w.push_i16(&a).expect("push");
    let bytes = std::fs::read(w.finish().expect("finish")).expect("read");
    let plain: Vec<u8> = a[..64].iter().flat_map(|s| s.to_le_bytes()).collect();
    assert!(
        !bytes.windows(16).any(|win| plain.windows(16).any(|p| p == win)),
        "PCM visible in file"
    );
}

/// Run by `kill_9_loses_at_most_a_second` in a child process: records until killed, noting
/// after each push how much audio it has pushed.
#[test]
#[ignore = "child process of kill_9_loses_at_most_a_second"]
fn capture_child_records_until_killed() {
    let dir = std::path::PathBuf::from(
        std::env::var_os("HEIRLOOM_CAPTURE_DIR").expect("set by the parent"),
    );
    let mut w = RecordingWriter::create(&dir.join("audio"), &key(), RATE, 1).expect("create");
    let tenth = tone(RATE as usize / 10, 1);
    for pushed in 1..=600u64 {
        w.push_i16(&tenth).expect("push");
        std::fs::write(dir.join("progress.tmp"), (pushed * 100).to_string()).expect("progress");
        std::fs::rename(dir.join("progress.tmp"), dir.join("progress")).expect("progress");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[cfg(unix)]
#[test]
fn kill_9_loses_at_most_a_second() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--ignored",
            "--exact",
            "capture::tests::capture_child_records_until_killed",
            "--test-threads",
            "1",
        ])
        .env("HEIRLOOM_CAPTURE_DIR", dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn child");
    // Wait (however slow the machine) until 2.5 s of audio were pushed, then kill mid-chunk.
    let progress = |d: &Path| -> u64 {
        std::fs::read_to_string(d.join("progress")).ok().and_then(|t| t.parse().ok()).unwrap_or(0)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while progress(dir.path()) < 2_500 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    let pushed_ms = progress(dir.path());
    assert!(pushed_ms >= 2_500, "the child pushed only {pushed_ms} ms in 60 s");
    let recovered =
        recover_interrupted(&dir.path().join("audio"), &key()).expect("recover").recovered;
    assert_eq!(recovered.len(), 1);
    let kept = recovered[0].duration_ms;
    // Every push that returned is on disk except the pending part of the current second (one
    // push may have landed between its progress note and the kill).
    assert!(
        kept <= pushed_ms + 100 && pushed_ms.saturating_sub(kept) < 1_000,
        "kept {kept} ms of {pushed_ms} ms pushed"
    );
    assert!(kept >= 2_000, "kept {kept} ms");
    read_recording(&recovered[0].path, &key(), HOUR).expect("valid after recovery");
}

fn sine(rate: u32, freq: f32, seconds: f32, channels: u16, amplitude: f32) -> Vec<i16> {
    let frames = (rate as f32 * seconds) as usize;
    (0..frames)
        .flat_map(|i| {
            let v = (2.0 * std::f32::consts::PI * freq * i as f32 / rate as f32).sin() * amplitude;
            std::iter::repeat_n((v * f32::from(i16::MAX)) as i16, usize::from(channels))
        })
        .collect()
}

fn rms(samples: &[f32]) -> f32 {
    (samples.iter().map(|s| s * s).sum::<f32>() / samples.len().max(1) as f32).sqrt()
}

fn zero_crossings(samples: &[f32]) -> usize {
    samples.windows(2).filter(|w| (w[0] < 0.0) != (w[1] < 0.0)).count()
}

#[test]
fn resampling_keeps_speech_band_tones_and_removes_what_would_alias() {
    for (rate, channels) in [(48_000u32, 2u16), (44_100, 1), (8_000, 1), (16_000, 2)] {
        let audio = RecordedAudio {
            sample_rate: rate,
            channels,
            samples: sine(rate, 1_000.0, 2.0, channels, 0.5),
        };
        let out = to_speech_rate(&audio).expect("resample");
        let expected = 2 * SPEECH_RATE as usize;
        assert!(out.len().abs_diff(expected) <= 16, "{rate} Hz: {} samples", out.len());
        let body = &out[1_000..out.len() - 1_000];
        assert!((rms(body) - 0.5 / 2f32.sqrt()).abs() < 0.01, "{rate} Hz: rms {}", rms(body));
        let hz = zero_crossings(body) as f32 / 2.0 / (body.len() as f32 / SPEECH_RATE as f32);
        assert!((hz - 1_000.0).abs() < 5.0, "{rate} Hz: measured {hz} Hz");
    }
    // 10 kHz cannot exist at 16 kHz: a real resampler removes it; dropping samples would fold it
    // to 6 kHz at full strength.
    let high = RecordedAudio {
        sample_rate: 48_000,
        channels: 1,
        samples: sine(48_000, 10_000.0, 1.0, 1, 0.5),
    };
    let out = to_speech_rate(&high).expect("resample");
    assert!(rms(&out[500..out.len() - 500]) < 0.01, "aliased energy {}", rms(&out));
    assert!(to_speech_rate(&RecordedAudio { sample_rate: 44_100, channels: 2, samples: vec![] })
        .expect("empty")
        .is_empty());
}

fn write_wav(path: &Path, spec: hound::WavSpec, frames: usize) {
    let mut w = hound::WavWriter::create(path, spec).expect("create wav");
    for i in 0..frames * usize::from(spec.channels) {
        match (spec.sample_format, spec.bits_per_sample) {
            (hound::SampleFormat::Float, _) => {
                w.write_sample(((i % 100) as f32 / 100.0) - 0.5).expect("write")
            }
            (_, 16) => w.write_sample(((i * 37) % 20_000) as i16 - 10_000).expect("write"),
            (_, 24) => w.write_sample((((i * 37) % 20_000) as i32 - 10_000) << 8).expect("write"),
            (_, bits) => w.write_sample(((i % 200) as i32 - 100) << (bits - 8)).expect("write"),
        }
    }
    w.finalize().expect("finalize");
}

fn spec(rate: u32, channels: u16, bits: u16, float: bool) -> hound::WavSpec {
    let sample_format = if float { hound::SampleFormat::Float } else { hound::SampleFormat::Int };
    hound::WavSpec { channels, sample_rate: rate, bits_per_sample: bits, sample_format }
}

#[test]
fn wav_files_import_as_encrypted_recordings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let audio_dir = dir.path().join("audio");
    for (s, frames) in [
        (spec(16_000, 1, 16, false), 20_000),
        (spec(44_100, 2, 24, false), 50_000),
        (spec(48_000, 1, 32, true), 9_600),
        (spec(8_000, 1, 8, false), 8_000),
    ] {
        let wav = dir.path().join("in.wav");
        write_wav(&wav, s, frames);
        let (path, ms) = import_wav(&wav, &audio_dir, &key()).expect("import");
        assert_eq!(ms, frames as u64 * 1000 / u64::from(s.sample_rate));
        let audio = read_recording(&path, &key(), HOUR).expect("read");
        assert_eq!((audio.sample_rate, audio.channels), (s.sample_rate, s.channels));
        assert_eq!(audio.samples.len(), frames * usize::from(s.channels));
        if s.bits_per_sample == 16 || s.bits_per_sample == 24 {
            let expected: Vec<i16> =
                (0..audio.samples.len()).map(|i| ((i * 37) % 20_000) as i16 - 10_000).collect();
            assert_eq!(audio.samples, expected, "{} bit", s.bits_per_sample);
        }
    }
}

#[test]
fn bad_wav_files_are_typed_errors_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let audio_dir = dir.path().join("audio");
    let wav = dir.path().join("in.wav");
    write_wav(&wav, spec(16_000, 1, 16, false), 16_000);
    let good = std::fs::read(&wav).expect("read");

    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated header", good[..20].to_vec()),
        ("cut mid-data", good[..good.len() / 2].to_vec()),
        ("not a wav", b"ID3\x04 this is an mp3, honest".to_vec()),
        ("empty file", Vec::new()),
    ];
    for (what, bytes) in cases {
        std::fs::write(&wav, bytes).expect("write");
        let err = import_wav(&wav, &audio_dir, &key()).expect_err(what);
        assert!(matches!(err, CaptureError::Import { .. }), "{what}: {err:?}");
    }
    write_wav(&wav, spec(16_000, 1, 16, false), 0);
    assert!(matches!(
        import_wav(&wav, &audio_dir, &key()),
        Err(CaptureError::Import { reason: "file holds no audio" })
    ));
    write_wav(&wav, spec(96_000, 1, 16, false), 100);
    assert!(matches!(
        import_wav(&wav, &audio_dir, &key()),
        Err(CaptureError::UnsupportedFormat { .. })
    ));
    write_wav(&wav, spec(16_000, 6, 16, false), 100);
    assert!(matches!(
        import_wav(&wav, &audio_dir, &key()),
        Err(CaptureError::UnsupportedFormat { .. })
    ));
    let left: Vec<_> = std::fs::read_dir(&audio_dir)
        .map(|d| d.filter_map(Result::ok).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "a failed import left {} files", left.len());
}

#[test]
fn recovery_never_destroys_what_it_cannot_prove_and_skips_live_recordings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = RecordingWriter::create(dir.path(), &key(), RATE, 1).expect("create");
    w.push_i16(&tone(RATE as usize * 3, 1)).expect("push");
    std::mem::forget(w); // keeps its lock until this process ends: still "live"
    let part = only_file(dir.path(), ".hla.part");
    let before = std::fs::read(&part).expect("read");
    let report = recover_interrupted(dir.path(), &key()).expect("recover");
    assert!(report.recovered.is_empty() && report.failed.is_empty(), "a locked file is skipped");
    // Once the writer's lock is gone (a copy stands in for the file after a crash), a wrong
    // key must not cut anything.
    let copy = dir
        .path()
        .join(part.file_name().expect("name").to_string_lossy().replace("hla.part", "copy"));
    std::fs::rename(&part, &copy).expect("move");
    std::fs::write(&part, &before).expect("write");
    let other = SecretKey::from_bytes([9; 32]);
    let report = recover_interrupted(dir.path(), &other).expect("recover");
    assert_eq!(report.failed.len(), 1);
    assert!(matches!(report.failed[0].1, CaptureError::Tampered { index: 0 }));
    assert_eq!(std::fs::read(&part).expect("read"), before, "left untouched");
    // Damage before the end is not a torn tail: reported, untouched.
    let mut damaged = before.clone();
    damaged[32 + 4 + 100] ^= 0x40;
    std::fs::write(&part, &damaged).expect("write");
    let report = recover_interrupted(dir.path(), &key()).expect("recover");
    assert_eq!(report.failed.len(), 1);
    assert_eq!(std::fs::read(&part).expect("read"), damaged);
    // With the right key and intact chunks it recovers.
    std::fs::write(&part, &before).expect("write");
    assert_eq!(
        recover_interrupted(dir.path(), &key()).expect("recover").recovered[0].duration_ms,
        3_000
    );
}

#[test]
fn swapped_recordings_are_detected_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut a = RecordingWriter::create(dir.path(), &key(), RATE, 1).expect("create");
    a.push_i16(&tone(100, 1)).expect("push");
    let a = a.finish().expect("finish");
    let mut b = RecordingWriter::create(dir.path(), &key(), RATE, 1).expect("create");
    b.push_i16(&tone(200, 1)).expect("push");
    let b = b.finish().expect("finish");
    let (bytes_a, bytes_b) = (std::fs::read(&a).expect("a"), std::fs::read(&b).expect("b"));
    std::fs::write(&a, bytes_b).expect("swap");
    std::fs::write(&b, bytes_a).expect("swap");
    assert!(matches!(read_recording(&a, &key(), HOUR), Err(CaptureError::NotARecording { .. })));
}

fn stream_all(path: &Path) -> Result<Vec<f32>, CaptureError> {
    let mut s = SpeechStream::open(path, &key())?;
    let mut out = Vec::new();
    // Odd read sizes, so chunk and resampler boundaries fall everywhere.
    while s.read(&mut out, 7_777)? > 0 {}
    Ok(out)
}

#[test]
fn streaming_matches_reading_whole_at_every_rate_and_layout() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (rate, channels) in [(16_000u32, 1u16), (44_100, 2), (48_000, 1), (8_000, 2)] {
        let mut w = RecordingWriter::create(dir.path(), &key(), rate, channels).expect("create");
        let audio = sine(rate, 440.0, 2.3, channels, 0.5);
        w.push_i16(&audio).expect("push");
        let path = w.finish().expect("finish");
        let whole =
            to_speech_rate(&read_recording(&path, &key(), HOUR).expect("read")).expect("resample");
        let streamed = stream_all(&path).expect("stream");
        assert_eq!(streamed.len(), whole.len(), "{rate} Hz x{channels}: same length");
        let worst = streamed.iter().zip(&whole).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(worst < 1e-3, "{rate} Hz x{channels}: differs by {worst}");
        let estimate = SpeechStream::open(&path, &key()).expect("open").estimated_samples();
        let off = estimate.abs_diff(whole.len() as u64) as f64 / whole.len() as f64;
        assert!(off < 0.01, "{rate} Hz: progress estimate off by {off:.3}");
        std::fs::remove_file(path).expect("rm");
    }
}

#[test]
fn streaming_refuses_damaged_recordings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = RecordingWriter::create(dir.path(), &key(), RATE, 1).expect("create");
    w.push_i16(&tone(RATE as usize * 3, 1)).expect("push");
    let path = w.finish().expect("finish");
    let good = std::fs::read(&path).expect("read");
    std::fs::write(&path, &good[..good.len() - 20]).expect("write");
    assert!(matches!(stream_all(&path), Err(CaptureError::Truncated { .. })));
    let mut flipped = good.clone();
    flipped[32 + 4 + 32_016 + 4 + 100] ^= 1;
    std::fs::write(&path, &flipped).expect("write");
    assert!(matches!(stream_all(&path), Err(CaptureError::Tampered { index: 1 })));
    std::fs::write(&path, &good).expect("write");
    assert!(matches!(
        SpeechStream::open(&path, &SecretKey::from_bytes([8; 32]))
            .and_then(|mut s| s.read(&mut Vec::new(), 100)),
        Err(CaptureError::Tampered { index: 0 })
    ));
    let mut extra = good.clone();
    extra.extend_from_slice(b"junk");
    std::fs::write(&path, &extra).expect("write");
    assert!(matches!(stream_all(&path), Err(CaptureError::NotARecording { .. })));
}

fn wav_bytes(path: &Path, key: &SecretKey) -> Result<Vec<u8>, CaptureError> {
    let mut reader = WavReader::open(path, key)?;
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut out)
        .map_err(|e| CaptureError::Io { op: "read wav", kind: e.kind() })?;
    assert_eq!(out.len() as u64, reader.len());
    Ok(out)
}

#[test]
fn recordings_stream_out_as_wav_files_hound_reads_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (rate, channels) in [(RATE, 1u16), (44_100, 2)] {
        let mut w = RecordingWriter::create(dir.path(), &key(), rate, channels).expect("create");
        let a = tone(rate as usize * 3 + 77, channels);
        w.push_i16(&a).expect("push");
        let path = w.finish().expect("finish");
        let wav = wav_bytes(&path, &key()).expect("wav");
        assert_eq!(wav.len(), 44 + a.len() * 2);
        let reader = hound::WavReader::new(std::io::Cursor::new(&wav)).expect("hound reads it");
        let spec = reader.spec();
        assert_eq!((spec.sample_rate, spec.channels, spec.bits_per_sample), (rate, channels, 16));
        let back: Vec<i16> = reader.into_samples::<i16>().map(|s| s.expect("sample")).collect();
        assert_eq!(back, a);
    }
}

#[test]
fn a_damaged_recording_never_streams_out_as_a_wav() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = RecordingWriter::create(dir.path(), &key(), RATE, 1).expect("create");
    w.push_i16(&tone(RATE as usize * 3, 1)).expect("push");
    let path = w.finish().expect("finish");
    let good = std::fs::read(&path).expect("read");
    // Wrong key, a flipped byte, a dropped closing chunk: refused before any byte is handed out.
    assert!(matches!(
        WavReader::open(&path, &SecretKey::from_bytes([8; 32])),
        Err(CaptureError::Tampered { index: 0 })
    ));
    let mut flipped = good.clone();
    flipped[32 + 4 + 32_016 + 4 + 100] ^= 1;
    std::fs::write(&path, &flipped).expect("write");
    assert!(matches!(WavReader::open(&path, &key()), Err(CaptureError::Tampered { index: 1 })));
    std::fs::write(&path, &good[..good.len() - 20]).expect("write");
    assert!(matches!(WavReader::open(&path, &key()), Err(CaptureError::Truncated { .. })));

    // Damaged after it was verified (between the two passes): reading fails, never yields a
    // different length or unauthenticated audio.
    std::fs::write(&path, &good).expect("write");
    let mut reader = WavReader::open(&path, &key()).expect("open");
    std::fs::write(&path, &flipped).expect("write");
    let mut out = Vec::new();
    let err = std::io::Read::read_to_end(&mut reader, &mut out).expect_err("tampered");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert!(out.len() < 44 + 32_016, "only the header and chunk 0 came out");
}
