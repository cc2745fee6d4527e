//! Full-text search over transcript segments: FTS5 with BM25 ranking and highlighted snippets.
//!
//! The user's query is never handed to FTS5 as syntax: it is split into words and each word is
//! quoted, so any input is a valid query. Words in scripts written without spaces (Chinese,
//! Japanese, Korean) and emoji are matched as substrings, because the unicode61 tokenizer keeps a
//! whole run of such characters as one token (see docs/SEARCH.md for the measurement).

use super::model::{MemoryId, SegmentId};
use super::{GraphError, MemoryGraph};
use rusqlite::OptionalExtension;
use serde::Serialize;

/// Longest accepted query, in characters.
const MAX_QUERY_CHARS: usize = 500;
/// Most terms used from one query.
const MAX_TERMS: usize = 16;
/// Snippet length, in characters, before ellipses.
const SNIPPET_CHARS: usize = 160;
/// Matches sampled (newest first) to estimate how common a word is.
const DF_SAMPLE: u32 = 256;
/// At most this many matching segments (the newest) are ranked.
const RANKED_MATCHES: u32 = 128;

/// One matching segment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    pub segment_id: SegmentId,
    pub memory_id: MemoryId,
    pub memory_title: String,
    pub start_ms: i64,
    /// A window of the segment's text around the first match.
    pub snippet: String,
    /// Matched ranges in `snippet`, as character offsets.
    pub highlights: Vec<TextRange>,
    /// Higher is better (negated BM25; 0 for substring-only matches).
    pub score: f64,
}

/// Character offsets `[start, end)` into a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct TextRange {
    pub start: u32,
    pub end: u32,
}

/// A query split into FTS5 terms and substring terms.
#[derive(Debug, Default, PartialEq)]
struct QueryPlan {
    /// Quoted FTS5 terms.
    fts: Vec<String>,
    /// The same words folded (lowercase, no diacritics), for highlighting.
    folded: Vec<String>,
    substrings: Vec<String>,
}

fn is_unspaced_script(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF
        | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF)
}

fn plan_query(query: &str) -> QueryPlan {
    let mut plan = QueryPlan::default();
    let mut word = String::new();
    let flush = |word: &mut String, plan: &mut QueryPlan| {
        if word.is_empty() {
            return;
        }
        if word.chars().any(is_unspaced_script) {
            plan.substrings.push(std::mem::take(word));
        } else {
            plan.fts.push(format!("\"{}\"", word.replace('"', "")));
            plan.folded.push(fold(word));
            word.clear();
        }
    };
    for c in query.chars() {
        if is_emoji(c) {
            flush(&mut word, &mut plan);
            plan.substrings.push(c.to_string());
        } else if c.is_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut plan);
        }
    }
    flush(&mut word, &mut plan);
    plan.fts.dedup();
    plan.folded.dedup();
    plan.substrings.dedup();
    plan.fts.truncate(MAX_TERMS);
    plan.substrings.truncate(MAX_TERMS);
    plan
}

/// A word as the unicode61 tokenizer with `remove_diacritics 2` sees it: lowercase, with
/// combining marks removed after canonical decomposition.
fn fold(word: &str) -> String {
    use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};
    if word.is_ascii() {
        return word.to_ascii_lowercase();
    }
    word.nfd().filter(|c| !is_combining_mark(*c)).flat_map(char::to_lowercase).collect()
}

/// Character ranges of the words in `text` whose folded form is one of `terms`.
fn word_ranges(text: &str, terms: &[String]) -> Vec<(u32, u32)> {
    use unicode_normalization::char::is_combining_mark;
    let mut ranges = Vec::new();
    let mut word = String::new();
    let mut start = 0u32;
    let mut pos = 0u32;
    let mut close = |word: &mut String, start: u32, end: u32| {
        if !word.is_empty() && terms.contains(&fold(word)) {
            ranges.push((start, end));
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() || (is_combining_mark(c) && !word.is_empty()) {
            if word.is_empty() {
                start = pos;
            }
            word.push(c);
        } else {
            close(&mut word, start, pos);
        }
        pos += 1;
    }
    close(&mut word, start, pos);
    ranges
}

fn substring_ranges(text: &str, needle: &str) -> Vec<(u32, u32)> {
    let len = needle.chars().count() as u32;
    let (mut ranges, mut counted_bytes, mut counted_chars) = (Vec::new(), 0usize, 0u32);
    for (byte, _) in text.match_indices(needle) {
        // Count characters incrementally: linear in the text, whatever the number of matches.
        counted_chars += text[counted_bytes..byte].chars().count() as u32;
        counted_bytes = byte;
        ranges.push((counted_chars, counted_chars + len));
    }
    ranges
}

/// Cuts a window of about [`SNIPPET_CHARS`] around the first highlight.
fn snippet(text: &str, mut highlights: Vec<(u32, u32)>) -> (String, Vec<(u32, u32)>) {
    let chars: Vec<char> = text.chars().collect();
    highlights.retain(|&(s, e)| s < e && e as usize <= chars.len());
    highlights.sort_unstable();
    highlights.dedup();
    let first = highlights.first().map_or(0, |h| h.0 as usize);
    let mut start = first.saturating_sub(SNIPPET_CHARS / 4);
    while start > 0 && start < first && !chars[start - 1].is_whitespace() {
        start += 1;
    }
    let mut end = (start + SNIPPET_CHARS).min(chars.len());
    while end < chars.len() && end > first && !chars[end].is_whitespace() {
        end -= 1;
    }
    if end <= first {
        end = (start + SNIPPET_CHARS).min(chars.len());
    }
    let lead = start > 0;
    let mut out = String::new();
    if lead {
        out.push('…');
    }
    out.extend(&chars[start..end]);
    if end < chars.len() {
        out.push('…');
    }
    let shift = u32::from(lead);
    let kept = highlights
        .into_iter()
        .filter(|&(s, e)| s as usize >= start && e as usize <= end)
        .map(|(s, e)| (s - start as u32 + shift, e - start as u32 + shift))
        .collect();
    (out, kept)
}

impl MemoryGraph {
    /// Segments matching every word of `query`, best first; if none has every word, segments
    /// with any of them.
    pub fn search(&self, query: &str, limit: u32) -> Result<Vec<SearchHit>, GraphError> {
        if query.chars().count() > MAX_QUERY_CHARS {
            return Err(GraphError::invalid("search query is too long"));
        }
        let plan = plan_query(query);
        if plan.fts.is_empty() && plan.substrings.is_empty() {
            return Ok(Vec::new());
        }
        let limit = limit.clamp(1, 1000);
        self.db.read(|tx| {
            if plan.fts.is_empty() {
                let sql = format!(
                    "SELECT s.id, s.memory_id, m.title, s.start_ms, s.text \
                     FROM segment s JOIN memory m ON m.id = s.memory_id \
                     WHERE true {} ORDER BY m.told_at_ms DESC, s.id LIMIT ?1",
                    substring_conditions(plan.substrings.len(), 2)
                );
                let rows = candidate_rows(tx, &sql, &[&limit], &plan)?;
                return Ok(rows.into_iter().map(|row| row.into_hit(&plan, 0.0)).collect());
            }
            let hits = rank_candidates(tx, &plan.fts.join(" "), limit, &plan)?;
            if !hits.is_empty() || plan.fts.len() < 2 {
                return Ok(hits);
            }
            // No segment holds every word: rank segments holding any of them.
            rank_candidates(tx, &plan.fts.join(" OR "), limit, &plan)
        })
    }
}

/// `AND instr(s.text, ?first) > 0 AND …` for `count` substring terms.
fn substring_conditions(count: usize, first: usize) -> String {
    (0..count).map(|i| format!(" AND instr(s.text, ?{}) > 0", first + i)).collect()
}

/// A matching segment before scoring.
struct CandidateRow {
    segment_id: SegmentId,
    memory_id: MemoryId,
    memory_title: String,
    start_ms: i64,
    text: String,
}

impl CandidateRow {
    fn into_hit(self, plan: &QueryPlan, score: f64) -> SearchHit {
        let mut ranges = word_ranges(&self.text, &plan.folded);
        for needle in &plan.substrings {
            ranges.extend(substring_ranges(&self.text, needle));
        }
        let (snippet, highlights) = snippet(&self.text, ranges);
        SearchHit {
            segment_id: self.segment_id,
            memory_id: self.memory_id,
            memory_title: self.memory_title,
            start_ms: self.start_ms,
            snippet,
            highlights: highlights
                .into_iter()
                .map(|(start, end)| TextRange { start, end })
                .collect(),
            score,
        }
    }
}

/// Runs a candidate query (substring terms bound after `params`).
fn candidate_rows(
    tx: &rusqlite::Transaction<'_>,
    sql: &str,
    params: &[&dyn rusqlite::ToSql],
    plan: &QueryPlan,
) -> Result<Vec<CandidateRow>, GraphError> {
    let mut all: Vec<&dyn rusqlite::ToSql> = params.to_vec();
    all.extend(plan.substrings.iter().map(|s| s as &dyn rusqlite::ToSql));
    let mut stmt = tx.prepare_cached(sql)?;
    let rows = stmt.query_map(all.as_slice(), |r| {
        Ok(CandidateRow {
            segment_id: r.get(0)?,
            memory_id: r.get(1)?,
            memory_title: r.get(2)?,
            start_ms: r.get(3)?,
            text: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Ranks the newest matches of `fts_query` with BM25, computed here rather than by FTS5.
///
/// FTS5's `bm25()` first counts every document holding each query word (for its IDF) and then
/// looks up each ranked document's length: for a word in half of 200,000 segments that is tens
/// of milliseconds, whatever the LIMIT. Here the candidates are the newest [`RANKED_MATCHES`]
/// matches (FTS5 walks its doclist newest-first and stops), each word's document frequency is
/// counted or estimated at bounded cost ([`document_frequency`]), and term frequencies and
/// lengths come from the candidates' own words. Rare words are ranked over all their matches.
fn rank_candidates(
    tx: &rusqlite::Transaction<'_>,
    fts_query: &str,
    limit: u32,
    plan: &QueryPlan,
) -> Result<Vec<SearchHit>, GraphError> {
    let candidates = RANKED_MATCHES.max(limit);
    let sql = format!(
        "SELECT s.id, s.memory_id, m.title, s.start_ms, s.text \
         FROM segment s JOIN memory m ON m.id = s.memory_id \
         WHERE s.id IN (SELECT rowid FROM segment_fts WHERE segment_fts MATCH ?1 \
                        ORDER BY rowid DESC LIMIT ?2) {}",
        substring_conditions(plan.substrings.len(), 3)
    );
    let rows = candidate_rows(tx, &sql, &[&fts_query, &candidates], plan)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let (first, last): (i64, i64) =
        // Two subqueries: SQLite answers a lone min() or max() from the b-tree, not both at once.
        tx.query_row("SELECT (SELECT coalesce(min(id), 0) FROM segment), (SELECT coalesce(max(id), 0) FROM segment)", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let total = (last - first + 1).max(1) as f64;
    let mut idf = Vec::with_capacity(plan.fts.len());
    for term in &plan.fts {
        let docs = document_frequency(tx, term, first, last)?;
        // FTS5's own IDF, floored the same way.
        idf.push(((total - docs + 0.5) / (docs + 0.5)).ln().max(1e-6));
    }
    let stats: Vec<(Vec<u32>, u32)> =
        rows.iter().map(|row| term_stats(&row.text, &plan.folded)).collect();
    let mean_len = stats.iter().map(|(_, len)| f64::from(*len)).sum::<f64>() / stats.len() as f64;
    let (k1, b) = (1.2, 0.75);
    let mut scored: Vec<(f64, CandidateRow)> = rows
        .into_iter()
        .zip(&stats)
        .map(|(row, (tfs, len))| {
            let norm = k1 * (1.0 - b + b * f64::from(*len) / mean_len.max(1.0));
            let score = tfs
                .iter()
                .zip(&idf)
                .map(|(&tf, idf)| idf * f64::from(tf) * (k1 + 1.0) / (f64::from(tf) + norm))
                .sum();
            (score, row)
        })
        .collect();
    // Best first; among equals, the newest.
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.segment_id.cmp(&a.1.segment_id)));
    scored.truncate(limit as usize);
    Ok(scored.into_iter().map(|(score, row)| row.into_hit(plan, score)).collect())
}

/// How many segments hold `term` (a quoted FTS5 term): counted when it is rare, estimated from
/// the density of its newest [`DF_SAMPLE`] matches when it is common. Counting a common word
/// exactly means walking its whole doclist, which is the cost this ranking exists to avoid.
fn document_frequency(
    tx: &rusqlite::Transaction<'_>,
    term: &str,
    first: i64,
    last: i64,
) -> Result<f64, GraphError> {
    let sample_edge: Option<i64> = tx
        .prepare_cached(
            "SELECT rowid FROM segment_fts WHERE segment_fts MATCH ?1 \
             ORDER BY rowid DESC LIMIT 1 OFFSET ?2",
        )?
        .query_row(rusqlite::params![term, DF_SAMPLE - 1], |r| r.get(0))
        .optional()?;
    Ok(match sample_edge {
        Some(edge) => {
            let span = (last - edge + 1).max(1) as f64;
            f64::from(DF_SAMPLE) * (last - first + 1) as f64 / span
        }
        None => tx
            .prepare_cached("SELECT count(*) FROM segment_fts WHERE segment_fts MATCH ?1")?
            .query_row([term], |r| r.get::<_, i64>(0))? as f64,
    })
}

/// Occurrences of each folded term in `text`, and its length in words.
fn term_stats(text: &str, terms: &[String]) -> (Vec<u32>, u32) {
    use unicode_normalization::char::is_combining_mark;
    let mut counts = vec![0u32; terms.len()];
    let mut words = 0u32;
    let mut word = String::new();
    let mut close = |word: &mut String| {
        if !word.is_empty() {
            words += 1;
            let folded = fold(word);
            for (count, term) in counts.iter_mut().zip(terms) {
                if *term == folded {
                    *count += 1;
                }
            }
            word.clear();
        }
    };
    for c in text.chars() {
        if c.is_alphanumeric() || (is_combining_mark(c) && !word.is_empty()) {
            word.push(c);
        } else {
            close(&mut word);
        }
    }
    close(&mut word);
    (counts, words)
}

/// A segment as a search hit with no highlighted words (a match by meaning): its opening as the
/// snippet. `None` if the segment is gone.
pub(crate) fn plain_hit(
    tx: &rusqlite::Transaction<'_>,
    segment: SegmentId,
) -> Result<Option<SearchHit>, GraphError> {
    let row = tx
        .prepare_cached(
            "SELECT s.id, s.memory_id, m.title, s.start_ms, s.text \
             FROM segment s JOIN memory m ON m.id = s.memory_id WHERE s.id = ?1",
        )?
        .query_row([segment], |r| {
            Ok(CandidateRow {
                segment_id: r.get(0)?,
                memory_id: r.get(1)?,
                memory_title: r.get(2)?,
                start_ms: r.get(3)?,
                text: r.get(4)?,
            })
        })
        .optional()?;
    Ok(row.map(|row| row.into_hit(&QueryPlan::default(), 0.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_quoted_words_never_syntax() {
        let plan = plan_query("rosa AND \"farm\" OR NEAR(x y) *");
        assert_eq!(
            plan.fts,
            ["\"rosa\"", "\"AND\"", "\"farm\"", "\"OR\"", "\"NEAR\"", "\"x\"", "\"y\""]
        );
        assert!(plan.substrings.is_empty());
    }

    #[test]
    fn cjk_and_emoji_become_substring_terms() {
        let plan = plan_query("北京 José 🌻");
        assert_eq!(plan.fts, ["\"José\""]);
        assert_eq!(plan.substrings, ["北京", "🌻"]);
    }

    #[test]
    fn snippet_ignores_ranges_outside_the_text() {
        assert_eq!(snippet("", vec![(0, 3)]), (String::new(), vec![]));
        let (text, hl) = snippet("short ünïcode", vec![(6, 13), (40, 50), (9, 3)]);
        assert_eq!(text, "short ünïcode");
        assert_eq!(hl, vec![(6, 13)]);
        assert_eq!(substring_ranges("🌻a🌻a🌻", "🌻"), vec![(0, 1), (2, 3), (4, 5)]);
    }

    #[test]
    fn words_fold_like_the_tokenizer_and_highlight_by_character() {
        assert_eq!(fold("ZÜRICH"), "zurich");
        assert_eq!(fold("Zoë"), "zoe");
        assert_eq!(fold("José"), "jose");
        // Decomposed input (e + combining acute) folds the same way.
        let text = "we met Jose\u{301} in Zürich, not zurichsee";
        let terms = vec![fold("jose"), fold("zurich")];
        assert_eq!(word_ranges(text, &terms), vec![(7, 12), (16, 22)]);
    }

    #[test]
    fn snippet_keeps_highlight_on_the_matched_words() {
        let text =
            format!("{} the wedding was in Zürich {}", "word ".repeat(60), "tail ".repeat(60));
        let start = text.find("Zürich").map(|b| text[..b].chars().count() as u32).expect("present");
        let (snip, hl) = snippet(&text, vec![(start, start + 6)]);
        assert!(snip.starts_with('…') && snip.ends_with('…'));
        let (s, e) = hl[0];
        let shown: String = snip.chars().skip(s as usize).take((e - s) as usize).collect();
        assert_eq!(shown, "Zürich");
    }
}
