-- Photos (issue 6): what the import read from each photo, and its derived files. Media files
-- imported from now on are encrypted at rest (`encrypted` = 1, see core/src/media/vault.rs).
ALTER TABLE media ADD COLUMN width INTEGER;
ALTER TABLE media ADD COLUMN height INTEGER;
ALTER TABLE media ADD COLUMN format TEXT;
-- 64-bit difference hash (as a signed integer) for near-duplicates.
ALTER TABLE media ADD COLUMN phash INTEGER;
ALTER TABLE media ADD COLUMN gps_lat REAL;
ALTER TABLE media ADD COLUMN gps_lon REAL;
ALTER TABLE media ADD COLUMN encrypted INTEGER NOT NULL DEFAULT 0;

-- Thumbnails and the metadata-free copy that is what leaves the device. Encrypted like the
-- original; deleted with it.
CREATE TABLE media_rendition (
    media_id INTEGER NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    kind     TEXT NOT NULL CHECK (kind IN ('thumb_256', 'thumb_1024', 'clean')),
    path     TEXT NOT NULL,
    bytes    INTEGER NOT NULL,
    PRIMARY KEY (media_id, kind)
) WITHOUT ROWID;
