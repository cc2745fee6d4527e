-- Consent by proxy and the care team's story card (kiosk mode, issue 7).

-- People who may consent for the owner: their name and relation, by the public key they sign
-- with (the signing seed is in the key store as `proxy/<verifying_key>`).
CREATE TABLE consent_proxy (
    verifying_key  TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    relation       TEXT NOT NULL,
    created_ms     INTEGER NOT NULL,
    UNIQUE (name, relation)
);

-- The owner-approved summary staff may see: a signed document (text, who approved it, when).
CREATE TABLE story_card (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    document        TEXT NOT NULL,
    approved_at_ms  INTEGER NOT NULL
);
