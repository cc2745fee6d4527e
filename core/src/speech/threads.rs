//! How many threads a transcription should use.
//!
//! whisper.cpp's threads spin while they wait for each other, so more threads than free cores
//! is several times slower, not faster. We take the cores the OS gives us, less the other
//! runnable tasks right now (`procs_running` in /proc/stat), at least 1 and at most 8.
//! `HEIRLOOM_THREADS` overrides (CI sets it to 1, since tests run side by side).

/// Threads for one transcription job.
pub fn choose_threads() -> usize {
    if let Some(n) = std::env::var("HEIRLOOM_THREADS").ok().and_then(|v| v.parse::<usize>().ok()) {
        return n.clamp(1, 64);
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let busy = others_running().unwrap_or(cores / 2);
    cores.saturating_sub(busy).clamp(1, 8)
}

/// Runnable tasks other than the caller, from /proc/stat (Linux and Android).
fn others_running() -> Option<usize> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("procs_running "))?;
    let running: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(running.saturating_sub(1))
}
