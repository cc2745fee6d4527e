//! An hour-long interview recording, streamed from its encrypted file through the recogniser:
//! every answer heard once, in order, on the right time line, with memory bounded far below the
//! hour's audio (57.6 M samples: 230 MB as f32). Its own test binary, so the process's peak
//! memory is this test's alone.

use heirloom_core::graph::MemoryGraph;
use heirloom_core::keystore::FileKeyStore;
use heirloom_core::speech::{CancelToken, ModelKind, SpeechModel, TranscribeOptions};
use std::sync::Arc;

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmHWM")
}

#[test]
fn an_hour_of_interview_is_streamed_with_bounded_memory() {
    let models = ModelKind::default_dir();
    let model = Arc::new(SpeechModel::load_kind(ModelKind::TinyEn, &models).expect("tiny.en"));
    let mut reader = hound_free_wav(&models.join("samples/jfk.wav"));
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = FileKeyStore::new(dir.path().join("keys"));
    let graph = MemoryGraph::open(&dir.path().join("data"), &keys).expect("open");

    // One answer every ten minutes, quiet room noise in between: an hour.
    let mut writer = Some(graph.start_recording(16_000, 1).expect("start"));
    let second: Vec<i16> = (0..16_000).map(|i| ((i * 7919) % 61) as i16 - 30).collect();
    let mut answers_at = Vec::new();
    let mut at_s = 0u64;
    for minute in 0..60 {
        if minute % 10 == 5 {
            answers_at.push(at_s);
            writer.as_mut().expect("writer").push_i16(&reader).expect("push");
            at_s += 11;
        }
        for _ in 0..60 {
            writer.as_mut().expect("writer").push_i16(&second).expect("push");
        }
        at_s += 60;
    }
    let (memory, rec) = graph.save_recording(&mut writer, "An hour").expect("save");
    assert!(rec.duration_ms >= 3_600_000);
    reader.clear();

    let before = peak_rss_kib();
    let options = TranscribeOptions { threads: Some(1), ..Default::default() };
    let (t, segments) = graph
        .transcribe_recording(rec.id, &model, &options, None, &CancelToken::new())
        .expect("transcribe");
    let grown_mib = (peak_rss_kib().saturating_sub(before)) / 1024;
    assert!(grown_mib < 120, "peak memory grew by {grown_mib} MiB for an hour of audio");

    let text = t.text().to_lowercase();
    assert_eq!(text.matches("fellow americans").count(), 6, "each answer heard once");
    assert_eq!(text.matches("your country").count(), 12);
    assert!(t.speech_ms < 6 * 15_000, "the silence was skipped ({} ms decoded)", t.speech_ms);
    let firsts: Vec<u64> = t
        .segments
        .iter()
        .filter(|s| s.text.to_lowercase().contains("fellow"))
        .map(|s| s.start_ms / 1000)
        .collect();
    for (heard, said) in firsts.iter().zip(&answers_at) {
        assert!(heard.abs_diff(*said) <= 2, "answer at {said} s heard at {heard} s");
    }
    assert_eq!(graph.segments(memory.id).expect("segments").len(), segments.len());
}

/// JFK's samples (16 kHz mono 16-bit PCM) from the WAV's data chunk.
fn hound_free_wav(path: &std::path::Path) -> Vec<i16> {
    let bytes = std::fs::read(path).expect("jfk.wav (models/fetch.sh)");
    let mut pos = 12;
    while pos + 8 <= bytes.len() {
        let len =
            u32::from_le_bytes([bytes[pos + 4], bytes[pos + 5], bytes[pos + 6], bytes[pos + 7]])
                as usize;
        if &bytes[pos..pos + 4] == b"data" {
            return bytes[pos + 8..(pos + 8 + len).min(bytes.len())]
                .chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]]))
                .collect();
        }
        pos += 8 + len + (len & 1);
    }
    panic!("no data chunk");
}
