//! Graph bench: insert rate through the graph API vs raw rusqlite inserts of the same rows into
//! the same schema, measured in the same run; p50/p95 of timeline, person view and full-text
//! search; and the FTS5 tokenizer comparison behind docs/SEARCH.md.
//!
//! `cargo bench -p heirloom-core --bench graph` (HEIRLOOM_BENCH_MEMORIES scales it; default
//! 10,000 memories × 20 segments × 5 mentions).

use heirloom_core::graph::*;
use heirloom_core::keystore::{FileKeyStore, KeyStore, SecretKey};
use heirloom_core::store::{Database, DATABASE_KEY_NAME};
use rusqlite::{params, Connection};
use std::time::{Duration, Instant};

const SEGMENTS: usize = 20;
const MENTIONS: usize = 5;
const ENTITIES: usize = 2_000;
const SAMPLES: usize = 300;

#[path = "common/rng.rs"]
mod rng;
use rng::Rng;

fn vocabulary() -> Vec<String> {
    const SYL: [&str; 24] = [
        "ka", "lo", "mi", "ra", "ne", "to", "su", "vi", "de", "an", "or", "el", "ba", "ri", "co",
        "mé", "zü", "ña", "pe", "gu", "ho", "li", "sa", "te",
    ];
    let mut words = Vec::new();
    for a in SYL {
        for b in SYL {
            words.push(format!("{a}{b}"));
            for c in ["n", "r", "s", ""] {
                if words.len() < 3_000 {
                    words.push(format!("{a}{b}{c}o"));
                }
            }
        }
    }
    words.truncate(3_000);
    words
}

struct Corpus {
    memories: Vec<(NewMemory, Vec<String>)>,
    /// Per memory, per segment: (entity index, char start, char end).
    mentions: Vec<Vec<Vec<(usize, u32, u32)>>>,
    names: Vec<String>,
}

fn corpus(memories: usize) -> Corpus {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let vocab = vocabulary();
    let names: Vec<String> = (0..ENTITIES)
        .map(|i| {
            format!(
                "{} {}",
                capital(&vocab[i % vocab.len()]),
                capital(&vocab[(i * 7 + 3) % vocab.len()])
            )
        })
        .collect();
    let mut all = Vec::with_capacity(memories);
    let mut mentions = Vec::with_capacity(memories);
    for i in 0..memories {
        let about = match rng.below(10) {
            0..=2 => None,
            3 => Some(AboutWhen::Decade { start: 1930 + 10 * rng.below(9) as i32 }),
            4 => Some(AboutWhen::LifeStage { stage: LifeStage::Childhood }),
            5 => {
                let from = 1930 + rng.below(80) as i32;
                Some(AboutWhen::YearRange { from, to: from + rng.below(5) as i32 })
            }
            _ => Some(AboutWhen::Year { year: 1930 + rng.below(90) as i32 }),
        };
        let mut segs = Vec::with_capacity(SEGMENTS);
        let mut seg_mentions = Vec::with_capacity(SEGMENTS);
        for _ in 0..SEGMENTS {
            let mut text = String::new();
            let mut spans = Vec::new();
            for w in 0..14 {
                if !text.is_empty() {
                    text.push(' ');
                }
                if w % 3 == 1 && spans.len() < MENTIONS {
                    let e = rng.skewed(ENTITIES);
                    let start = text.chars().count() as u32;
                    text.push_str(&names[e]);
                    spans.push((e, start, start + names[e].chars().count() as u32));
                } else {
                    text.push_str(&vocab[rng.skewed(vocab.len())]);
                }
            }
            text.push('.');
            segs.push(text);
            seg_mentions.push(spans);
        }
        all.push((
            NewMemory {
                title: format!("memory {i}"),
                told_at_ms: 1_700_000_000_000 + i as i64 * 60_000,
                source: MemorySource::Voice,
                about_when: about,
                about_status: FactStatus::Inferred,
            },
            segs,
        ));
        mentions.push(seg_mentions);
    }
    Corpus { memories: all, mentions, names }
}

fn capital(w: &str) -> String {
    let mut c = w.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

fn percentiles(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort_unstable();
    let at =
        |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e3;
    (at(0.50), at(0.95))
}

fn insert_through_graph(graph: &MemoryGraph, c: &Corpus) -> (Duration, usize) {
    let start = Instant::now();
    let entities: Vec<i64> = c
        .names
        .iter()
        .map(|n| {
            graph
                .create_entity(&NewEntity {
                    kind: EntityKind::Person,
                    display_name: n.clone(),
                    aliases: vec![],
                    attributes: EntityAttributes::default(),
                    status: FactStatus::Inferred,
                })
                .expect("entity")
                .id
        })
        .collect();
    let mut rows = entities.len();
    for ((memory, texts), spans) in c.memories.iter().zip(&c.mentions) {
        let m = graph.create_memory(memory).expect("memory");
        let news: Vec<NewSegment> = texts
            .iter()
            .enumerate()
            .map(|(k, t)| NewSegment {
                start_ms: k as i64 * 3000,
                end_ms: k as i64 * 3000 + 2900,
                text: t.clone(),
                confidence: 0.9,
            })
            .collect();
        let segs = graph.add_segments(m.id, None, &news).expect("segments");
        let mentions: Vec<NewMention> = segs
            .iter()
            .zip(spans)
            .flat_map(|(s, sp)| {
                sp.iter().map(|&(e, a, b)| NewMention {
                    entity_id: entities[e],
                    span: Span { segment_id: s.id, char_start: a, char_end: b },
                    confidence: 0.8,
                    status: FactStatus::Inferred,
                })
            })
            .collect();
        rows += 1 + segs.len() + graph.link_mentions(&mentions).expect("mentions").len();
    }
    (start.elapsed(), rows)
}

fn insert_raw(conn: &mut Connection, c: &Corpus) -> (Duration, usize) {
    let start = Instant::now();
    let mut rows = 0;
    let tx = conn.transaction().expect("tx");
    for n in &c.names {
        tx.execute(
            "INSERT INTO entity (kind, display_name, name_norm, status, created_at_ms) VALUES ('person', ?1, lower(?1), 'inferred', 0)",
            [n],
        )
        .expect("entity");
        rows += 1;
    }
    tx.commit().expect("commit");
    for ((memory, texts), spans) in c.memories.iter().zip(&c.mentions) {
        let tx = conn.transaction().expect("tx");
        tx.prepare_cached("INSERT INTO memory (title, told_at_ms, source, created_at_ms, updated_at_ms) VALUES (?1, ?2, 'voice', 0, 0)")
            .expect("prep")
            .execute(params![memory.title, memory.told_at_ms])
            .expect("memory");
        let mid = tx.last_insert_rowid();
        rows += 1;
        for (k, (t, sp)) in texts.iter().zip(spans).enumerate() {
            tx.prepare_cached(
                "INSERT INTO segment (memory_id, ordinal, start_ms, end_ms, machine_text, confidence) VALUES (?1, ?2, ?3, ?4, ?5, 0.9)",
            )
            .expect("prep")
            .execute(params![mid, k as i64, k as i64 * 3000, k as i64 * 3000 + 2900, t])
            .expect("segment");
            let sid = tx.last_insert_rowid();
            rows += 1;
            for &(e, a, b) in sp {
                tx.prepare_cached(
                    "INSERT INTO mention (entity_id, segment_id, memory_id, char_start, char_end, quote, confidence, status, created_at_ms) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0.8, 'inferred', 0)",
                )
                .expect("prep")
                .execute(params![e as i64 + 1, sid, mid, a, b, c.names[e]])
                .expect("mention");
                rows += 1;
            }
        }
        tx.commit().expect("commit");
    }
    (start.elapsed(), rows)
}

fn main() {
    let memories: usize = std::env::var("HEIRLOOM_BENCH_MEMORIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    println!("graph bench: {memories} memories × {SEGMENTS} segments × {MENTIONS} mentions, {ENTITIES} people");
    let c = corpus(memories);
    let dir = tempfile::tempdir().expect("tempdir");

    // Raw rusqlite into the same schema, with the same SQLCipher key handling and pragmas as the
    // store's connections.
    let raw_key = SecretKey::generate().expect("rng");
    let raw_path = dir.path().join("raw.db");
    drop(Database::open_with_key(raw_path.clone(), raw_key.clone()).expect("schema"));
    let mut raw = Connection::open(&raw_path).expect("open raw");
    raw.execute_batch(&format!("PRAGMA key = \"x'{}'\"; PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -16384;", &*raw_key.to_hex()))
        .expect("pragmas");
    let (raw_time, raw_rows) = insert_raw(&mut raw, &c);
    drop(raw);

    let keys = FileKeyStore::new(dir.path().join("keys"));
    let graph = MemoryGraph::open(&dir.path().join("data"), &keys).expect("open");
    let (graph_time, graph_rows) = insert_through_graph(&graph, &c);
    assert_eq!(graph_rows, raw_rows, "both paths insert the same rows");
    assert!(keys.load(DATABASE_KEY_NAME).expect("key").is_some());

    let raw_rate = raw_rows as f64 / raw_time.as_secs_f64();
    let graph_rate = graph_rows as f64 / graph_time.as_secs_f64();
    println!("insert: graph API {graph_rate:>9.0} rows/s ({:.1} s)   raw rusqlite {raw_rate:>9.0} rows/s ({:.1} s)   ratio {:.2}× (goal ≥ 0.5×)",
        graph_time.as_secs_f64(), raw_time.as_secs_f64(), graph_rate / raw_rate);

    let mut rng = Rng(42);
    let timeline_total =
        graph.timeline(Page { offset: 0, limit: 1 }).expect("t").dated_total as usize;
    let timeline: Vec<Duration> = (0..SAMPLES)
        .map(|_| {
            let offset = rng.below(timeline_total.saturating_sub(100).max(1)) as u32;
            let t = Instant::now();
            let page = graph.timeline(Page { offset, limit: 100 }).expect("timeline");
            assert!(!page.dated.is_empty());
            t.elapsed()
        })
        .collect();
    let people = graph
        .list_entities(&EntityQuery { kind: Some(EntityKind::Person), name: None })
        .expect("people");
    let mut mention_counts = Vec::new();
    let person: Vec<Duration> = (0..SAMPLES)
        .map(|_| {
            let id = people[rng.skewed(people.len())].id;
            let t = Instant::now();
            let view = graph.person_view(id).expect("view");
            let e = t.elapsed();
            mention_counts.push(view.mentions.len());
            e
        })
        .collect();
    mention_counts.sort_unstable();
    let vocab = vocabulary();
    // What people search for: a word, or two, from anywhere in the vocabulary. Random pairs
    // rarely share a segment, so most two-word queries also pay for the any-word fallback.
    let mut search_with = |words: usize| -> Vec<Duration> {
        (0..SAMPLES)
            .map(|_| {
                let q: Vec<&str> =
                    (0..words).map(|_| vocab[rng.below(vocab.len())].as_str()).collect();
                let t = Instant::now();
                graph.search(&q.join(" "), 20).expect("search");
                t.elapsed()
            })
            .collect()
    };
    let search_one = search_with(1);
    let search_two = search_with(2);
    // The worst case: the ten most frequent words, each in a large share of all segments.
    let frequent: Vec<Duration> = (0..SAMPLES)
        .map(|i| {
            let t = Instant::now();
            graph.search(&vocab[i % 10], 20).expect("search");
            t.elapsed()
        })
        .collect();
    for (name, samples, note) in [
        ("timeline (page of 100)", timeline, String::new()),
        (
            "person view",
            person,
            format!(
                "  (median person has {} mentions, p95 {})",
                mention_counts[mention_counts.len() / 2],
                mention_counts[mention_counts.len() * 95 / 100]
            ),
        ),
        ("fts search, one word", search_one, String::new()),
        ("fts search, two words", search_two, String::new()),
        ("fts, 10 commonest words", frequent, String::new()),
    ] {
        let (p50, p95) = percentiles(samples);
        println!("{name:<24} p50 {p50:>7.3} ms   p95 {p95:>7.3} ms   (goal p95 < 5 ms){note}");
    }
    tokenizers(&c);
}

/// unicode61 (remove_diacritics 2) vs trigram (remove_diacritics 1) over the same texts.
fn tokenizers(c: &Corpus) {
    println!("\nFTS5 tokenizers over the same {} segments:", c.memories.len() * SEGMENTS);
    let extra = [
        "We took the night train to Zürich with José and Zoë.",
        "我在北京长大，后来去了上海。",
        "Mum's garden had 🌻 taller than the fence.",
        "Tom fixed the tomato planter tomorrow.",
    ];
    let probes: [(&str, &str, usize); 5] = [
        ("zurich", "diacritics folded", 0),
        ("jose", "diacritics folded", 0),
        ("北京", "2-character CJK word", 1),
        ("上海", "2-character CJK word", 1),
        ("tom", "whole word, not tomato/tomorrow", 3),
    ];
    for tokenizer in ["unicode61 remove_diacritics 2", "trigram remove_diacritics 1"] {
        let conn = Connection::open_in_memory().expect("memory db");
        conn.execute_batch(&format!(
            "CREATE VIRTUAL TABLE f USING fts5(text, tokenize = '{tokenizer}');"
        ))
        .expect("create");
        let t = Instant::now();
        {
            let tx = conn.unchecked_transaction().expect("tx");
            let mut stmt = tx.prepare("INSERT INTO f (text) VALUES (?1)").expect("prep");
            for (_, texts) in &c.memories {
                for text in texts {
                    stmt.execute([text]).expect("insert");
                }
            }
            for text in extra {
                stmt.execute([text]).expect("insert");
            }
            drop(stmt);
            tx.commit().expect("commit");
        }
        let build = t.elapsed();
        let bytes: i64 = conn
            .query_row("SELECT sum(length(block)) FROM f_data", [], |r| r.get(0))
            .expect("size");
        let base = (c.memories.len() * SEGMENTS) as i64;
        let vocab = vocabulary();
        let mut rng = Rng(7);
        let mut samples = Vec::new();
        for _ in 0..SAMPLES {
            let q = format!("\"{}\"", vocab[rng.skewed(vocab.len())]);
            let t = Instant::now();
            let mut stmt = conn
                .prepare_cached("SELECT rowid FROM f WHERE f MATCH ?1 ORDER BY rank LIMIT 20")
                .expect("prep");
            let n = stmt.query_map([&q], |r| r.get::<_, i64>(0)).expect("q").count();
            samples.push(t.elapsed());
            assert!(n <= 20);
        }
        let (p50, p95) = percentiles(samples);
        let mut right = 0;
        let mut verdicts = Vec::new();
        for (query, what, want) in probes {
            let hits: Vec<i64> = conn
                .prepare(&format!("SELECT rowid FROM f WHERE f MATCH '\"{query}\"'"))
                .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
                .unwrap_or_default();
            let ok = hits == [base + want as i64 + 1];
            right += usize::from(ok);
            verdicts.push(format!(
                "{query} ({what}): {}",
                if ok { "found exactly" } else { "missed or too many" }
            ));
        }
        println!(
            "  {tokenizer:<31} build {:>5.1} s   index {:>6.1} MB   word query p50 {p50:.3} ms p95 {p95:.3} ms   probes right {right}/{}",
            build.as_secs_f64(),
            bytes as f64 / 1e6,
            probes.len()
        );
        for v in verdicts {
            println!("      {v}");
        }
    }
}
