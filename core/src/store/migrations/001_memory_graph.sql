-- 001: the memory graph: memories, recordings, transcript segments, entities, mentions,
-- relations, media, merge proposals. Every fact carries a status: 'inferred' or 'confirmed'.

CREATE TABLE memory (
    id              INTEGER PRIMARY KEY,
    title           TEXT NOT NULL,
    told_at_ms      INTEGER NOT NULL,
    source          TEXT NOT NULL CHECK (source IN ('voice', 'text', 'photo')),
    -- about_when: precision plus a day-number range (yyyymmdd) for ordering, or a life stage.
    about_precision TEXT CHECK (about_precision IN
                        ('day', 'month', 'year', 'year_range', 'decade', 'life_stage')),
    about_from      INTEGER,
    about_to        INTEGER,
    about_stage     TEXT,
    -- Timeline order: about_from for calendar dates, after every date for life stages (by stage).
    about_sort      INTEGER,
    about_status    TEXT NOT NULL DEFAULT 'inferred' CHECK (about_status IN ('inferred', 'confirmed')),
    created_at_ms   INTEGER NOT NULL,
    updated_at_ms   INTEGER NOT NULL
);
CREATE INDEX memory_timeline ON memory (about_sort, about_to, told_at_ms, id)
    WHERE about_sort IS NOT NULL;
CREATE INDEX memory_undated ON memory (told_at_ms, id) WHERE about_sort IS NULL;

CREATE TABLE recording (
    id            INTEGER PRIMARY KEY,
    memory_id     INTEGER NOT NULL REFERENCES memory (id) ON DELETE CASCADE,
    audio_path    TEXT NOT NULL,
    duration_ms   INTEGER NOT NULL CHECK (duration_ms >= 0),
    sample_rate   INTEGER NOT NULL CHECK (sample_rate > 0),
    created_at_ms INTEGER NOT NULL
);
CREATE INDEX recording_memory ON recording (memory_id);

CREATE TABLE segment (
    id            INTEGER PRIMARY KEY,
    memory_id     INTEGER NOT NULL REFERENCES memory (id) ON DELETE CASCADE,
    recording_id  INTEGER REFERENCES recording (id) ON DELETE SET NULL,
    ordinal       INTEGER NOT NULL,
    start_ms      INTEGER NOT NULL CHECK (start_ms >= 0),
    end_ms        INTEGER NOT NULL CHECK (end_ms >= start_ms),
    machine_text  TEXT NOT NULL,
    confidence    REAL NOT NULL CHECK (confidence BETWEEN 0.0 AND 1.0),
    -- The owner's correction, kept apart so re-transcription never overwrites it.
    user_text     TEXT,
    edited_at_ms  INTEGER,
    text          TEXT GENERATED ALWAYS AS (coalesce(user_text, machine_text)) VIRTUAL,
    UNIQUE (memory_id, ordinal)
);

CREATE TABLE entity (
    id                INTEGER PRIMARY KEY,
    kind              TEXT NOT NULL CHECK (kind IN
                          ('person', 'place', 'period', 'event', 'emotion', 'topic')),
    display_name      TEXT NOT NULL,
    -- display_name case-folded in Rust (SQLite's lower() folds only ASCII).
    name_norm         TEXT NOT NULL,
    relation_to_owner TEXT,
    birth_year        INTEGER,
    deceased          INTEGER NOT NULL DEFAULT 0 CHECK (deceased IN (0, 1)),
    sensitive         INTEGER NOT NULL DEFAULT 0 CHECK (sensitive IN (0, 1)),
    status            TEXT NOT NULL CHECK (status IN ('inferred', 'confirmed')),
    -- Set while this entity is merged into another; cleared by undo.
    merged_into       INTEGER REFERENCES entity (id) ON DELETE CASCADE,
    created_at_ms     INTEGER NOT NULL
);
CREATE INDEX entity_kind ON entity (kind, merged_into);
CREATE INDEX entity_merged_into ON entity (merged_into);

CREATE TABLE entity_alias (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_id INTEGER NOT NULL REFERENCES entity (id) ON DELETE CASCADE,
    alias     TEXT NOT NULL,
    norm      TEXT NOT NULL,
    UNIQUE (entity_id, norm)
);
CREATE INDEX entity_alias_norm ON entity_alias (norm);

CREATE TABLE mention (
    -- AUTOINCREMENT: merge undo logs name rows by id, so ids must never be reused.
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_id     INTEGER NOT NULL REFERENCES entity (id) ON DELETE CASCADE,
    segment_id    INTEGER NOT NULL REFERENCES segment (id) ON DELETE CASCADE,
    -- The segment's memory, kept here so a person's view reads one index, not every segment.
    memory_id     INTEGER NOT NULL REFERENCES memory (id) ON DELETE CASCADE,
    -- Character (Unicode scalar) offsets into the segment's text: [char_start, char_end).
    char_start    INTEGER NOT NULL CHECK (char_start >= 0),
    char_end      INTEGER NOT NULL CHECK (char_end > char_start),
    -- The words at the span. Corrections move the span with the words, so this never changes.
    quote         TEXT NOT NULL,
    confidence    REAL NOT NULL CHECK (confidence BETWEEN 0.0 AND 1.0),
    status        TEXT NOT NULL CHECK (status IN ('inferred', 'confirmed')),
    created_at_ms INTEGER NOT NULL
);
-- Covering, in view order: the person view reads a person's mentions from this index alone.
CREATE INDEX mention_entity ON mention
    (entity_id, memory_id, segment_id, char_start, char_end, confidence, status, quote);
CREATE INDEX mention_segment ON mention (segment_id);
CREATE INDEX mention_memory ON mention (memory_id);

CREATE TABLE relation (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    subject_id    INTEGER NOT NULL REFERENCES entity (id) ON DELETE CASCADE,
    object_id     INTEGER NOT NULL REFERENCES entity (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    -- Provenance: the span the relation was read from; NULL when the owner stated it directly.
    segment_id    INTEGER REFERENCES segment (id) ON DELETE CASCADE,
    char_start    INTEGER,
    char_end      INTEGER,
    confidence    REAL NOT NULL CHECK (confidence BETWEEN 0.0 AND 1.0),
    status        TEXT NOT NULL CHECK (status IN ('inferred', 'confirmed')),
    created_at_ms INTEGER NOT NULL,
    CHECK (subject_id <> object_id),
    CHECK ((segment_id IS NULL) = (char_start IS NULL) AND (char_start IS NULL) = (char_end IS NULL))
);
CREATE INDEX relation_subject ON relation (subject_id);
CREATE INDEX relation_object ON relation (object_id);
CREATE INDEX relation_segment ON relation (segment_id);

CREATE TABLE media (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL CHECK (kind IN ('photo', 'video')),
    path            TEXT NOT NULL,
    content_hash    TEXT NOT NULL,
    taken_at_ms     INTEGER,
    place_entity_id INTEGER REFERENCES entity (id) ON DELETE SET NULL,
    status          TEXT NOT NULL CHECK (status IN ('inferred', 'confirmed')),
    created_at_ms   INTEGER NOT NULL,
    UNIQUE (content_hash)
);

CREATE TABLE memory_media (
    memory_id INTEGER NOT NULL REFERENCES memory (id) ON DELETE CASCADE,
    media_id  INTEGER NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    PRIMARY KEY (memory_id, media_id)
) WITHOUT ROWID;
CREATE INDEX memory_media_media ON memory_media (media_id);

CREATE TABLE merge_proposal (
    id             INTEGER PRIMARY KEY,
    keep_id        INTEGER NOT NULL REFERENCES entity (id) ON DELETE CASCADE,
    merge_id       INTEGER NOT NULL REFERENCES entity (id) ON DELETE CASCADE,
    score          REAL NOT NULL CHECK (score BETWEEN 0.0 AND 1.0),
    state          TEXT NOT NULL CHECK (state IN ('proposed', 'accepted', 'rejected', 'undone')),
    -- What accepting moved, so that undo restores exactly that (JSON, ids only).
    undo_log       TEXT,
    created_at_ms  INTEGER NOT NULL,
    decided_at_ms  INTEGER,
    CHECK (keep_id <> merge_id)
);
CREATE INDEX merge_proposal_state ON merge_proposal (state);
