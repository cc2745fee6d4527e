//! Full-text search over transcript segments: FTS5 with BM25 ranking and highlighted snippets.
//!
//! The user's query is never handed to FTS5 as syntax: it is split into words and each word is
//! quoted, so any input is a valid query. Words in scripts written without spaces (Chinese,
//! Japanese, Korean) and emoji are matched as substrings, because the unicode61 tokenizer keeps a
//! whole run of such characters as one token (see docs/SEARCH.md for the measurement).

use super::model::{MemoryId, SegmentId};
use super::{GraphError, MemoryGraph};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

/// Longest accepted query, in characters.
const MAX_QUERY_CHARS: usize = 500;
/// Most terms used from one query.
const MAX_TERMS: usize = 16;
/// Snippet length, in characters, before ellipses.
const SNIPPET_CHARS: usize = 160;
/// At most this many matching segments (the newest) are ranked by BM25.
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
                    "SELECT s.id, s.memory_id, m.title, s.start_ms, s.text, 0.0 \
                     FROM segment s JOIN memory m ON m.id = s.memory_id \
                     WHERE true {} ORDER BY m.told_at_ms DESC, s.id LIMIT ?1",
                    substring_conditions(plan.substrings.len(), 2)
                );
                return collect_hits(tx, &sql, &[&limit], &plan);
            }
            let hits = rank_and_collect(tx, &plan.fts.join(" "), limit, &plan)?;
            if !hits.is_empty() || plan.fts.len() < 2 {
                return Ok(hits);
            }
            // No segment holds every word: rank segments holding any of them.
            rank_and_collect(tx, &plan.fts.join(" OR "), limit, &plan)
        })
    }
}

/// `AND instr(s.text, ?first) > 0 AND …` for `count` substring terms.
fn substring_conditions(count: usize, first: usize) -> String {
    (0..count).map(|i| format!(" AND instr(s.text, ?{}) > 0", first + i)).collect()
}

/// Runs a hit query (substring terms bound after `params`) and makes hits with snippets.
fn collect_hits(
    tx: &rusqlite::Transaction<'_>,
    sql: &str,
    params: &[&dyn rusqlite::ToSql],
    plan: &QueryPlan,
) -> Result<Vec<SearchHit>, GraphError> {
    let mut all: Vec<&dyn rusqlite::ToSql> = params.to_vec();
    all.extend(plan.substrings.iter().map(|s| s as &dyn rusqlite::ToSql));
    let mut stmt = tx.prepare_cached(sql)?;
    let rows = stmt.query_map(all.as_slice(), |r| {
        Ok((
            r.get::<_, SegmentId>(0)?,
            r.get::<_, MemoryId>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, f64>(5)?,
        ))
    })?;
    let mut hits = Vec::new();
    for row in rows {
        let (segment_id, memory_id, memory_title, start_ms, text, rank) = row?;
        let mut ranges = word_ranges(&text, &plan.folded);
        for needle in &plan.substrings {
            ranges.extend(substring_ranges(&text, needle));
        }
        let (snippet, highlights) = snippet(&text, ranges);
        hits.push(SearchHit {
            segment_id,
            memory_id,
            memory_title,
            start_ms,
            snippet,
            highlights: highlights
                .into_iter()
                .map(|(start, end)| TextRange { start, end })
                .collect(),
            score: -rank,
        });
    }
    Ok(hits)
}

/// BM25 costs time in proportion to the matches it ranks: fine for the words people search for,
/// slow for words in a large share of all segments ("the", "mum"). So at most the newest
/// [`RANKED_MATCHES`] matches are ranked: relevance among recent memories, at bounded cost.
/// Ranking reads only the index; texts are read for the top hits alone.
fn rank_and_collect(
    tx: &rusqlite::Transaction<'_>,
    fts_query: &str,
    limit: u32,
    plan: &QueryPlan,
) -> Result<Vec<SearchHit>, GraphError> {
    let floor: i64 = tx
        .prepare_cached(
            "SELECT rowid FROM segment_fts WHERE segment_fts MATCH ?1 \
             ORDER BY rowid DESC LIMIT 1 OFFSET ?2",
        )?
        .query_row(params![fts_query, RANKED_MATCHES - 1], |r| r.get(0))
        .optional()?
        .unwrap_or(i64::MIN);
    let join_segment =
        if plan.substrings.is_empty() { "" } else { "JOIN segment s ON s.id = segment_fts.rowid" };
    let sql = format!(
        "WITH top AS (SELECT segment_fts.rowid AS id, bm25(segment_fts) AS score \
             FROM segment_fts {join_segment} \
             WHERE segment_fts MATCH ?1 AND segment_fts.rowid >= ?3 {} \
             ORDER BY score LIMIT ?2) \
         SELECT s.id, s.memory_id, m.title, s.start_ms, s.text, top.score \
         FROM top JOIN segment s ON s.id = top.id JOIN memory m ON m.id = s.memory_id \
         ORDER BY top.score",
        substring_conditions(plan.substrings.len(), 4)
    );
    collect_hits(tx, &sql, &[&fts_query, &limit, &floor], plan)
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
