//! Understanding bench: extraction throughput (segments per second, one thread), sentence
//! embeddings per second (one thread; batch 1 and batch 16, with their ratio), and hybrid
//! search latency at 10,000 memories against full-text search measured in the same run.
//!
//! `cargo bench -p heirloom-core --bench understanding` (HEIRLOOM_BENCH_MEMORIES scales the
//! search corpus; default 10,000). Needs the models from `models/fetch.sh`.

use heirloom_core::embed::Embedder;
use heirloom_core::extract::{Extractor, TellerContext};
use heirloom_core::graph::*;
use heirloom_core::keystore::FileKeyStore;
use heirloom_core::speech::ModelKind;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "common/rng.rs"]
mod rng;
use rng::Rng;

fn pick<'a>(rng: &mut Rng, items: &[&'a str]) -> &'a str {
    items[(rng.next() % items.len() as u64) as usize]
}

const PEOPLE: &[&str] = &[
    "my grandmother Rosa",
    "Uncle Joe",
    "my brother Kwame",
    "my friend Adaeze",
    "my late husband Tom",
    "my sister Mei",
    "Aunt Carmen",
    "my father",
    "my mother",
    "my cousin Tomasz",
    "Grandpa Walt",
    "my daughter Priya",
    "my neighbour Mrs. Patterson",
    "my son Vikram",
    "my best friend Siobhan",
];
const PLACES: &[&str] = &[
    "Naples",
    "Lagos",
    "Kraków",
    "Manila",
    "Ohio",
    "Glasgow",
    "Kerala",
    "Guadalajara",
    "the farm on Route 9",
    "the mill on Water Street",
    "Boston",
    "Hong Kong",
    "Seoul",
    "Kingston",
    "Salvador",
    "the village",
];
const DOINGS: &[&str] = &[
    "baked bread before dawn",
    "went fishing on the lake",
    "sang in the church choir",
    "danced at the harvest festival",
    "planted tomatoes in the yard",
    "walked to school in the snow",
    "sold fabric at the market",
    "repaired old radios",
    "played cards until midnight",
    "watched the ships come in",
    "picked coffee on the hillside",
    "sewed dresses for the wedding",
    "waited for letters from overseas",
    "rode the tram to the factory",
    "cooked a feast for the holidays",
];
const TIMES: &[&str] = &[
    "in 1952",
    "in the sixties",
    "when I was twelve",
    "every Sunday",
    "after the war",
    "in high school",
    "that winter",
    "in nineteen seventy three",
    "during the summer holidays",
    "when we were newlyweds",
];
const FEELINGS: &[&str] = &[
    "I was so happy.",
    "I still miss those days.",
    "I was proud of us.",
    "It broke my heart.",
    "We laughed the whole time.",
    "I was frightened but I never said so.",
    "I am grateful for it.",
    "",
];
const QUERIES: &[&str] = &[
    "baking with family",
    "a trip across the sea",
    "music and singing",
    "working hard as a young person",
    "missing someone who died",
    "childhood winters",
    "a celebration with food",
    "growing vegetables",
    "fixing machines",
    "the harbour and boats",
    "Naples",
    "grandmother",
    "wedding dress",
    "school",
];

fn sentence(rng: &mut Rng) -> String {
    format!(
        "{} and I {} in {} {}. {}",
        pick(rng, PEOPLE),
        pick(rng, DOINGS),
        pick(rng, PLACES),
        pick(rng, TIMES),
        pick(rng, FEELINGS)
    )
    .trim()
    .to_string()
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort_unstable();
    samples[((samples.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn labelled_segments() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/extract");
    let mut out = Vec::new();
    for file in ["labelled.json", "heldout.json"] {
        let text = std::fs::read_to_string(root.join(file)).expect("labelled set");
        let stories: serde_json::Value = serde_json::from_str(&text).expect("json");
        for story in stories.as_array().into_iter().flatten() {
            for segment in story["segments"].as_array().into_iter().flatten() {
                out.extend(segment.as_str().map(str::to_string));
            }
        }
    }
    out
}

fn main() {
    // One thread for candle's matrix kernels (read on every call) and the tokenizer.
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        std::env::set_var("RAYON_NUM_THREADS", "1");
    }
    std::env::set_var("TOKENIZERS_PARALLELISM", "false");
    let models = ModelKind::default_dir();
    let extractor =
        Extractor::load(&Extractor::default_dir(&models)).expect("lexicon: run models/fetch.sh");
    let started = Instant::now();
    let embedder = Arc::new(
        Embedder::load(&Embedder::default_dir(&models)).expect("MiniLM: run models/fetch.sh"),
    );
    let load = started.elapsed();

    // 1. Extraction.
    let segments = labelled_segments();
    let words: usize = segments.iter().map(|s| s.split_whitespace().count()).sum();
    let mut done = 0usize;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        for s in &segments {
            std::hint::black_box(
                extractor.extract(&[s.as_str()], TellerContext { birth_year: Some(1940) }),
            );
        }
        done += segments.len();
    }
    let per_second = done as f64 / started.elapsed().as_secs_f64();
    println!(
        "extraction: {per_second:.0} segments/s, one thread ({} labelled segments, {:.0} words each on average)",
        segments.len(),
        words as f64 / segments.len() as f64
    );

    // 2. Embeddings, one thread.
    let texts: Vec<&str> = segments.iter().take(64).map(String::as_str).collect();
    embedder.embed(&texts[..4]).expect("warm up");
    let started = Instant::now();
    for t in &texts {
        embedder.embed(&[t]).expect("embed");
    }
    let batch1 = texts.len() as f64 / started.elapsed().as_secs_f64();
    let started = Instant::now();
    for chunk in texts.chunks(16) {
        embedder.embed(chunk).expect("embed");
    }
    let batch16 = texts.len() as f64 / started.elapsed().as_secs_f64();
    println!(
        "embeddings: batch 1 {batch1:.1}/s, batch 16 {batch16:.1}/s (ratio {:.2}), one thread; model load {:.2} s",
        batch16 / batch1,
        load.as_secs_f64()
    );

    // 3. Search at scale.
    let memories: usize = std::env::var("HEIRLOOM_BENCH_MEMORIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("dir");
    let graph =
        MemoryGraph::open(&dir.path().join("data"), &FileKeyStore::new(dir.path().join("keys")))
            .expect("open");
    let mut rng = Rng(0x5eed);
    let started = Instant::now();
    for i in 0..memories {
        let text = format!("{}\n{}", sentence(&mut rng), sentence(&mut rng));
        graph.add_text_memory(&format!("memory {i}"), &text, None).expect("memory");
    }
    let inserted = started.elapsed();
    graph.attach_embedder(embedder.clone());
    let started = Instant::now();
    let embedded = graph.embed_all().expect("embed all");
    let embed_time = started.elapsed();
    println!(
        "corpus: {memories} memories, {embedded} segments embedded in {:.0} s ({:.1}/s in batches of 16); inserted in {:.1} s",
        embed_time.as_secs_f64(),
        f64::from(embedded) / embed_time.as_secs_f64(),
        inserted.as_secs_f64()
    );
    graph.hybrid_search("warm up the cache", 10).expect("warm");
    let rounds = 10;
    let (mut hybrid, mut fts, mut related) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        for q in QUERIES {
            let t = Instant::now();
            std::hint::black_box(graph.search(q, 20).expect("fts"));
            fts.push(t.elapsed());
            let t = Instant::now();
            std::hint::black_box(graph.hybrid_search(q, 20).expect("hybrid"));
            hybrid.push(t.elapsed());
        }
        let t = Instant::now();
        std::hint::black_box(
            graph.related((round * 997 % memories + 1) as i64, 5).expect("related"),
        );
        related.push(t.elapsed());
    }
    let (h50, h95) = (percentile(&mut hybrid, 0.5), percentile(&mut hybrid, 0.95));
    let (f50, f95) = (percentile(&mut fts, 0.5), percentile(&mut fts, 0.95));
    let r95 = percentile(&mut related, 0.95);
    println!(
        "search at {memories} memories: hybrid p50 {:.1} ms p95 {:.1} ms (query embedding included); full-text p50 {:.1} ms p95 {:.1} ms; hybrid/full-text p95 {:.1}x; related p95 {:.1} ms",
        ms(h50),
        ms(h95),
        ms(f50),
        ms(f95),
        ms(h95) / ms(f95).max(0.001),
        ms(r95)
    );
}
