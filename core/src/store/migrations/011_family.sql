-- Family sharing (issue 6): the family circle. A removed member stays listed (with when) and is
-- left out of later shares.
CREATE TABLE family_member (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('family', 'guardian', 'friend')),
    recipient     TEXT NOT NULL UNIQUE,
    added_at_ms   INTEGER NOT NULL,
    removed_at_ms INTEGER
);
