-- 004: what extraction reads and writes. The owner's profile (resolves ages and life stages);
-- what each machine-read mention says (`detail`, JSON) and which extractor version read it
-- (NULL: the owner linked it); the years, life stage or age a period entity stands for;
-- which entities extraction created (so it can tidy them away when their mentions go);
-- each segment's valence; facts the owner rejected, so re-reading never brings them back.

CREATE TABLE owner_profile (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    preferred_name TEXT,
    birth_year     INTEGER,
    -- JSON array of ISO 639-1 codes.
    languages      TEXT NOT NULL DEFAULT '[]',
    updated_at_ms  INTEGER NOT NULL
);

ALTER TABLE mention ADD COLUMN detail TEXT;
ALTER TABLE mention ADD COLUMN extractor INTEGER;
CREATE INDEX mention_machine ON mention (memory_id, extractor) WHERE extractor IS NOT NULL;

ALTER TABLE entity ADD COLUMN year_from INTEGER;
ALTER TABLE entity ADD COLUMN year_to INTEGER;
ALTER TABLE entity ADD COLUMN life_stage TEXT;
ALTER TABLE entity ADD COLUMN extracted INTEGER NOT NULL DEFAULT 0 CHECK (extracted IN (0, 1));
CREATE INDEX entity_name_norm ON entity (kind, name_norm);

ALTER TABLE segment ADD COLUMN valence REAL;

ALTER TABLE memory ADD COLUMN extracted_at_ms INTEGER;
ALTER TABLE memory ADD COLUMN extractor_version INTEGER;

CREATE TABLE rejected_fact (
    id            INTEGER PRIMARY KEY,
    memory_id     INTEGER NOT NULL REFERENCES memory (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    -- The entity's name_norm at rejection.
    norm          TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    UNIQUE (memory_id, kind, norm)
);
