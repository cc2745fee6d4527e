-- 002: full-text search over transcript segments. External content (the text lives once, in
-- segment); triggers keep the index in step. unicode61 with remove_diacritics 2 was chosen by
-- measurement over trigram: see docs/SEARCH.md.

CREATE VIRTUAL TABLE segment_fts USING fts5 (
    text,
    content = 'segment',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER segment_fts_insert AFTER INSERT ON segment BEGIN
    INSERT INTO segment_fts (rowid, text) VALUES (new.id, new.text);
END;

CREATE TRIGGER segment_fts_delete AFTER DELETE ON segment BEGIN
    INSERT INTO segment_fts (segment_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;

CREATE TRIGGER segment_fts_update AFTER UPDATE OF machine_text, user_text ON segment BEGIN
    INSERT INTO segment_fts (segment_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO segment_fts (rowid, text) VALUES (new.id, new.text);
END;

-- Index what a version-1 database already holds.
INSERT INTO segment_fts (segment_fts) VALUES ('rebuild');
