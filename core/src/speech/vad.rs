//! Voice-activity detection: where in the audio someone is talking.
//!
//! Energy against an adaptive noise floor. Audio is cut into 20 ms frames; the floor is a low
//! percentile of the frame energies in the window being looked at (the pauses between words and
//! sentences); a frame is speech when it is well above that floor *and* above an absolute level.
//! Stationary noise (a fan, a hum, hiss) never rises above its own floor, so 30 s of it gives no
//! speech at all; digital silence is under the absolute level. Short gaps inside speech are
//! bridged, clicks shorter than a syllable dropped, and every region padded so word onsets and
//! trailing consonants are not clipped.

use std::ops::Range;

/// Samples per second the detector expects.
const RATE: usize = 16_000;

/// Tuning of the detector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VadConfig {
    /// Frame length in ms.
    pub frame_ms: usize,
    /// Anything quieter than this (dBFS, frame RMS) is silence whatever the floor.
    pub min_dbfs: f32,
    /// Speech must be this many dB above the noise floor.
    pub above_floor_db: f32,
    /// The floor: this percentile (0..1) of the frame energies.
    pub floor_percentile: f32,
    /// Speech runs shorter than this are dropped (clicks, taps).
    pub min_speech_ms: usize,
    /// Gaps shorter than this between speech runs are bridged.
    pub bridge_ms: usize,
    /// Padding added before and after each region.
    pub pad_ms: usize,
}

impl Default for VadConfig {
    fn default() -> Self {
        VadConfig {
            frame_ms: 20,
            min_dbfs: -50.0,
            above_floor_db: 10.0,
            floor_percentile: 0.10,
            min_speech_ms: 120,
            bridge_ms: 500,
            pad_ms: 250,
        }
    }
}

/// Energy of each frame in dBFS.
pub(crate) fn frame_energies(samples: &[f32], frame: usize) -> Vec<f32> {
    samples
        .chunks(frame.max(1))
        .map(|f| {
            let power = f.iter().map(|s| s * s).sum::<f32>() / f.len().max(1) as f32;
            10.0 * (power + 1e-12).log10()
        })
        .collect()
}

/// Speech regions in `samples` (16 kHz mono), as sample ranges, sorted and disjoint.
pub fn speech_regions(samples: &[f32], cfg: &VadConfig) -> Vec<Range<usize>> {
    let frame = RATE * cfg.frame_ms / 1000;
    let energies = frame_energies(samples, frame);
    if energies.is_empty() {
        return Vec::new();
    }
    let mut sorted = energies.clone();
    sorted.sort_by(f32::total_cmp);
    let idx = ((sorted.len() - 1) as f32 * cfg.floor_percentile.clamp(0.0, 1.0)) as usize;
    let floor = sorted[idx].max(-100.0);
    let threshold = (floor + cfg.above_floor_db).max(cfg.min_dbfs);
    let mut active: Vec<bool> = energies.iter().map(|&e| e > threshold).collect();

    let frames = |ms: usize| ms.div_ceil(cfg.frame_ms.max(1));
    // Bridge short gaps between speech frames.
    let bridge = frames(cfg.bridge_ms);
    let mut last_active: Option<usize> = None;
    for i in 0..active.len() {
        if active[i] {
            if let Some(prev) = last_active {
                if i - prev - 1 <= bridge {
                    active[prev + 1..i].iter_mut().for_each(|a| *a = true);
                }
            }
            last_active = Some(i);
        }
    }
    // Runs of speech frames, minus the too-short ones, padded and merged.
    let min_run = frames(cfg.min_speech_ms);
    let pad = RATE * cfg.pad_ms / 1000;
    let mut regions: Vec<Range<usize>> = Vec::new();
    let mut i = 0;
    while i < active.len() {
        if !active[i] {
            i += 1;
            continue;
        }
        let start = i;
        while i < active.len() && active[i] {
            i += 1;
        }
        if i - start < min_run {
            continue;
        }
        let s = (start * frame).saturating_sub(pad);
        let e = (i * frame + pad).min(samples.len());
        match regions.last_mut() {
            Some(last) if s <= last.end => last.end = last.end.max(e),
            _ => regions.push(s..e),
        }
    }
    regions
}

/// The centre of the quietest 100 ms in `samples[range]`: where to cut a long unbroken stretch
/// of speech so the cut falls between words.
pub(crate) fn quietest_point(samples: &[f32], range: Range<usize>) -> usize {
    let frame = RATE / 50;
    let start = range.start.min(samples.len());
    let end = range.end.min(samples.len());
    let energies = frame_energies(&samples[start..end], frame);
    const WINDOW: usize = 5;
    if energies.len() <= WINDOW {
        return (start + end) / 2;
    }
    let mut best = (f32::INFINITY, 0usize);
    for i in 0..=energies.len() - WINDOW {
        let sum: f32 = energies[i..i + WINDOW].iter().sum();
        if sum < best.0 {
            best = (sum, i);
        }
    }
    start + (best.1 + WINDOW / 2) * frame + frame / 2
}
