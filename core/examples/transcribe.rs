//! Transcribes a 16 kHz mono 16-bit WAV file with the core, for bench/speech.sh and the
//! conversion proof: prints one JSON line with the text, the segments and the CPU time spent
//! transcribing (model load excluded, reported apart).
//!
//! usage: transcribe MODEL.bin WAV [--threads N] [--no-vad] [--full-ctx] [--language xx]
//!        [--vocabulary "Name, Name"]

use heirloom_core::speech::{transcribe, CancelToken, SliceSource, SpeechModel, TranscribeOptions};
use std::sync::Arc;
use std::time::Instant;

/// CPU seconds (user + system, every thread) this process has used, from /proc/self/stat.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 of stat (utime, stime) are 11 and 12 after the command name.
    (ticks(11) + ticks(12)) / 100.0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: transcribe MODEL.bin WAV [--threads N] [--no-vad] [--full-ctx] [--language xx] [--vocabulary LIST]");
        std::process::exit(2);
    }
    let mut options = TranscribeOptions { threads: Some(1), ..Default::default() };
    let mut i = 3;
    while i < args.len() {
        match args[i].as_str() {
            "--threads" => {
                i += 1;
                options.threads = args.get(i).and_then(|v| v.parse().ok());
            }
            "--no-vad" => options.skip_silence = false,
            "--full-ctx" => options.shrink_audio_ctx = false,
            "--language" => {
                i += 1;
                options.language = args.get(i).cloned();
            }
            "--vocabulary" => {
                i += 1;
                options.vocabulary = args
                    .get(i)
                    .map(|v| v.split(',').map(|w| w.trim().to_owned()).collect())
                    .unwrap_or_default();
            }
            other => {
                eprintln!("unknown option {other}");
                std::process::exit(2);
            }
        }
        i += 1;
    }
    let load_started = Instant::now();
    let model = match SpeechModel::load(std::path::Path::new(&args[1]), "bench") {
        Ok(m) => Arc::new(m),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let load_s = load_started.elapsed().as_secs_f64();
    let mut reader = match hound::WavReader::open(&args[2]) {
        Ok(r) => r,
        Err(_) => {
            eprintln!("cannot read the WAV file");
            std::process::exit(1);
        }
    };
    let spec = reader.spec();
    if spec.sample_rate != 16_000 || spec.channels != 1 || spec.bits_per_sample != 16 {
        eprintln!("need 16 kHz mono 16-bit PCM");
        std::process::exit(1);
    }
    let samples: Vec<f32> =
        reader.samples::<i16>().map(|s| f32::from(s.unwrap_or(0)) / 32768.0).collect();
    let cpu_before = cpu_seconds();
    let wall = Instant::now();
    let result =
        transcribe(&model, &mut SliceSource::new(&samples), &options, None, &CancelToken::new());
    let wall_s = wall.elapsed().as_secs_f64();
    let cpu_s = cpu_seconds() - cpu_before;
    match result {
        Ok(t) => {
            let segments: Vec<serde_json::Value> = t
                .segments
                .iter()
                .map(|s| {
                    serde_json::json!({"start_ms": s.start_ms, "end_ms": s.end_ms, "text": s.text, "confidence": s.confidence})
                })
                .collect();
            let doc = serde_json::json!({
                "text": t.text(), "language": t.language, "audio_ms": t.audio_ms,
                "speech_ms": t.speech_ms, "cpu_s": cpu_s, "wall_s": wall_s, "load_s": load_s,
                "segments": segments,
            });
            println!("{doc}");
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
