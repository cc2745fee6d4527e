-- 006: sentence embeddings of transcript segments, for related memories and semantic search.
-- A corrected segment is embedded again: `text_hash` says which text a vector is of. Rows are
-- replaced (delete + insert), never updated, so max(id) tells readers their cache is stale.

CREATE TABLE segment_embedding (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    segment_id INTEGER NOT NULL UNIQUE REFERENCES segment (id) ON DELETE CASCADE,
    model      TEXT NOT NULL,
    text_hash  INTEGER NOT NULL,
    -- Little-endian f32s, unit length.
    vector     BLOB NOT NULL
);
