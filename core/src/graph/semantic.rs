//! Related memories and semantic search. Segments are embedded at ingest (when an embedder is
//! attached) and kept with the segment; search fuses FTS5's BM25 ranking with cosine
//! similarity by reciprocal rank. Without the embedding model everything still works on
//! full-text search alone, and [`MemoryGraph::search_capabilities`] says so.
//!
//! Vectors are held in memory once read (30,000 segments are 46 MB of f32); the cache notices
//! any write by the table's row count and highest id.

use super::model::{MemoryId, SegmentId};
use super::search::SearchHit;
use super::{GraphError, MemoryGraph};
use crate::embed::{cosine, Embedder};
use rusqlite::params;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// Reciprocal-rank-fusion constant (Cormack et al. use 60).
const RRF_K: f64 = 60.0;
/// How many candidates each ranking contributes.
const CANDIDATES: usize = 50;
/// Below this cosine a segment shares no meaning worth showing with the query (MiniLM puts
/// unrelated sentences around 0–0.15).
const MIN_SIMILARITY: f32 = 0.25;
/// Segments embedded per call to the model.
const BATCH: usize = 16;

/// What search can do on this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchCapabilities {
    /// Full-text search: always.
    pub full_text: bool,
    /// Meaning-based search and related memories (the embedding model is loaded).
    pub semantic: bool,
}

/// A memory related to another, with how close (cosine of their mean segment vectors, or the
/// share of entities in common without the model).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelatedMemory {
    pub memory_id: MemoryId,
    pub title: String,
    pub score: f64,
}

#[derive(Debug, Default)]
pub(crate) struct VectorCache {
    generation: (i64, i64),
    rows: Vec<(SegmentId, MemoryId)>,
    vectors: Vec<Vec<f32>>,
}

fn text_hash(text: &str) -> i64 {
    text.bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
        as i64
}

fn to_blob(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn from_blob(blob: &[u8]) -> Vec<f32> {
    blob.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

fn mean_unit(vectors: &[&Vec<f32>]) -> Option<Vec<f32>> {
    let first = vectors.first()?;
    let mut sum = vec![0f32; first.len()];
    for v in vectors {
        for (s, x) in sum.iter_mut().zip(v.iter()) {
            *s += x;
        }
    }
    let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    Some(sum.into_iter().map(|x| x / norm).collect())
}

/// Segments (of one memory, or all) with no vector for their current text.
fn stale_segments(
    tx: &rusqlite::Transaction<'_>,
    memory: Option<MemoryId>,
) -> Result<Vec<(SegmentId, String)>, GraphError> {
    let mut stmt = tx.prepare_cached(
        "SELECT s.id, s.text, e.text_hash FROM segment s \
         LEFT JOIN segment_embedding e ON e.segment_id = s.id \
         WHERE ?1 IS NULL OR s.memory_id = ?1 ORDER BY s.memory_id, s.ordinal",
    )?;
    let rows = stmt.query_map([memory], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<i64>>(2)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, text, hash) = row?;
        if hash != Some(text_hash(&text)) {
            out.push((id, text));
        }
    }
    Ok(out)
}

impl MemoryGraph {
    /// Attaches the embedding model: from now on new and corrected segments are embedded.
    pub fn attach_embedder(&self, embedder: Arc<Embedder>) {
        *self.embedder.write().unwrap_or_else(|p| p.into_inner()) = Some(embedder);
    }

    fn embedder(&self) -> Option<Arc<Embedder>> {
        self.embedder.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// What search can do here.
    pub fn search_capabilities(&self) -> SearchCapabilities {
        SearchCapabilities { full_text: true, semantic: self.embedder().is_some() }
    }

    /// Embeds the memory's segments that have no vector for their current text. Returns how
    /// many were embedded (0 without a model).
    pub fn embed_memory(&self, memory: MemoryId) -> Result<u32, GraphError> {
        let Some(embedder) = self.embedder() else { return Ok(0) };
        let stale = self.db.read(|tx| stale_segments(tx, Some(memory)))?;
        self.embed_segments(&embedder, &stale)
    }

    /// Embeds `(segment, text)` pairs in batches and stores the vectors (a segment deleted in
    /// the meantime is skipped).
    fn embed_segments(
        &self,
        embedder: &Embedder,
        stale: &[(SegmentId, String)],
    ) -> Result<u32, GraphError> {
        for chunk in stale.chunks(BATCH) {
            let texts: Vec<&str> = chunk.iter().map(|(_, t)| t.as_str()).collect();
            let vectors = embedder
                .embed(&texts)
                .map_err(|e| GraphError::Embedding { reason: e.to_string() })?;
            self.db.write(|tx| {
                for ((id, text), vector) in chunk.iter().zip(&vectors) {
                    tx.execute("DELETE FROM segment_embedding WHERE segment_id = ?1", [id])?;
                    tx.execute(
                        "INSERT INTO segment_embedding (segment_id, model, text_hash, vector) \
                         SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM segment WHERE id = ?1)",
                        params![id, embedder.model_name(), text_hash(text), to_blob(vector)],
                    )?;
                }
                Ok::<_, GraphError>(())
            })?;
        }
        Ok(stale.len() as u32)
    }

    /// Embeds every segment with no vector for its current text (after attaching a model to an
    /// older graph), in batches across memories. Returns how many were embedded.
    pub fn embed_all(&self) -> Result<u32, GraphError> {
        let Some(embedder) = self.embedder() else { return Ok(0) };
        let stale = self.db.read(|tx| stale_segments(tx, None))?;
        self.embed_segments(&embedder, &stale)
    }

    /// Runs `f` on the vector cache, reloading it first if the table changed.
    fn with_vectors<T>(&self, f: impl FnOnce(&VectorCache) -> T) -> Result<T, GraphError> {
        let generation: (i64, i64) = self.db.read(|tx| {
            Ok::<_, GraphError>(tx.query_row(
                "SELECT count(*), coalesce(max(id), 0) FROM segment_embedding",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })?;
        {
            let cache = self.vectors.read().unwrap_or_else(|p| p.into_inner());
            if cache.generation == generation && !(generation.0 > 0 && cache.rows.is_empty()) {
                return Ok(f(&cache));
            }
        }
        let fresh = self.db.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT e.segment_id, s.memory_id, e.vector FROM segment_embedding e \
                 JOIN segment s ON s.id = e.segment_id ORDER BY e.segment_id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, Vec<u8>>(2)?))
            })?;
            let mut cache = VectorCache { generation, ..Default::default() };
            for row in rows {
                let (segment, memory, blob) = row?;
                cache.rows.push((segment, memory));
                cache.vectors.push(from_blob(&blob));
            }
            Ok::<_, GraphError>(cache)
        })?;
        let mut cache = self.vectors.write().unwrap_or_else(|p| p.into_inner());
        *cache = fresh;
        Ok(f(&cache))
    }

    /// Search by words and by meaning: FTS5 (BM25) and cosine rankings fused by reciprocal
    /// rank. Without the embedding model, the full-text results alone.
    pub fn hybrid_search(&self, query: &str, limit: u32) -> Result<Vec<SearchHit>, GraphError> {
        let limit = limit.clamp(1, 200) as usize;
        let words = self.search(query, CANDIDATES as u32)?;
        let Some(embedder) = self.embedder() else {
            return Ok(words.into_iter().take(limit).collect());
        };
        if query.trim().is_empty() {
            return Ok(Vec::new());
        }
        let q = embedder
            .embed(&[query])
            .map_err(|e| GraphError::Embedding { reason: e.to_string() })?
            .pop()
            .unwrap_or_default();
        let by_meaning: Vec<(SegmentId, MemoryId)> = self.with_vectors(|cache| {
            let mut scored: Vec<(f32, usize)> =
                cache.vectors.iter().enumerate().map(|(i, v)| (cosine(&q, v), i)).collect();
            let n = CANDIDATES.min(scored.len());
            if n > 0 {
                scored.select_nth_unstable_by(n - 1, |a, b| b.0.total_cmp(&a.0));
                scored.truncate(n);
                scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            }
            scored
                .into_iter()
                .filter(|(score, _)| *score >= MIN_SIMILARITY)
                .map(|(_, i)| cache.rows[i])
                .collect()
        })?;
        let mut fused: HashMap<SegmentId, f64> = HashMap::new();
        for (rank, hit) in words.iter().enumerate() {
            *fused.entry(hit.segment_id).or_default() += 1.0 / (RRF_K + rank as f64 + 1.0);
        }
        for (rank, (segment, _)) in by_meaning.iter().enumerate() {
            *fused.entry(*segment).or_default() += 1.0 / (RRF_K + rank as f64 + 1.0);
        }
        let mut order: Vec<(SegmentId, f64)> = fused.into_iter().collect();
        order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        order.truncate(limit);
        let mut by_id: HashMap<SegmentId, SearchHit> =
            words.into_iter().map(|h| (h.segment_id, h)).collect();
        self.db.read(|tx| {
            let mut out = Vec::with_capacity(order.len());
            for (segment, score) in order {
                let hit = match by_id.remove(&segment) {
                    Some(hit) => Some(hit),
                    None => super::search::plain_hit(tx, segment)?,
                };
                if let Some(mut hit) = hit {
                    hit.score = score;
                    out.push(hit);
                }
            }
            Ok(out)
        })
    }

    /// Memories closest to `memory`: by meaning with the embedding model, else by the people,
    /// places and events they share.
    pub fn related(&self, memory: MemoryId, limit: u32) -> Result<Vec<RelatedMemory>, GraphError> {
        self.memory(memory)?;
        let limit = limit.clamp(1, 100) as usize;
        let scored: Vec<(MemoryId, f64)> = if self.embedder().is_some() {
            self.with_vectors(|cache| {
                let mut per_memory: HashMap<MemoryId, Vec<&Vec<f32>>> = HashMap::new();
                for ((_, m), v) in cache.rows.iter().zip(&cache.vectors) {
                    per_memory.entry(*m).or_default().push(v);
                }
                let Some(target) = per_memory.get(&memory).and_then(|v| mean_unit(v)) else {
                    return Vec::new();
                };
                let mut scored: Vec<(MemoryId, f64)> = per_memory
                    .iter()
                    .filter(|(m, _)| **m != memory)
                    .filter_map(|(m, v)| {
                        mean_unit(v).map(|mean| (*m, f64::from(cosine(&target, &mean))))
                    })
                    .collect();
                scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                scored.truncate(limit);
                scored
            })?
        } else {
            self.db.read(|tx| {
                let mut stmt = tx.prepare_cached(
                    "WITH mine AS (SELECT DISTINCT entity_id FROM mention WHERE memory_id = ?1), \
                     total AS (SELECT count(*) AS n FROM mine) \
                     SELECT m.memory_id, count(DISTINCT m.entity_id) * 1.0 / max((SELECT n FROM total), 1) AS share \
                     FROM mention m JOIN entity e ON e.id = m.entity_id \
                     WHERE m.entity_id IN (SELECT entity_id FROM mine) AND m.memory_id <> ?1 \
                       AND e.kind IN ('person', 'place', 'event', 'period') \
                     GROUP BY m.memory_id ORDER BY share DESC, m.memory_id LIMIT ?2",
                )?;
                let rows = stmt.query_map(params![memory, limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?;
                Ok::<_, GraphError>(rows.collect::<Result<Vec<_>, _>>()?)
            })?
        };
        self.db.read(|tx| {
            scored
                .into_iter()
                .map(|(memory_id, score)| {
                    let title: String =
                        tx.query_row("SELECT title FROM memory WHERE id = ?1", [memory_id], |r| {
                            r.get(0)
                        })?;
                    Ok(RelatedMemory { memory_id, title, score: (score * 1000.0).round() / 1000.0 })
                })
                .collect()
        })
    }
}

#[cfg(test)]
#[path = "semantic_tests.rs"]
mod tests;
