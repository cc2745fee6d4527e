-- 007: consent. Every grant and revocation is a signed receipt (canonical JSON, Ed25519), kept
-- verbatim; the history is append-only, enforced here so no code path can rewrite it.

CREATE TABLE consent_record (
    seq           INTEGER PRIMARY KEY,
    receipt_id    TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL CHECK (kind IN ('grant', 'revocation')),
    subject_kind  TEXT NOT NULL,
    subject_id    INTEGER NOT NULL,
    purpose       TEXT NOT NULL,
    -- For a revocation: the grant it ends.
    revokes       TEXT REFERENCES consent_record (receipt_id),
    given_at_ms   INTEGER NOT NULL,
    -- Optional end of a grant (Unix ms); NULL: until revoked.
    expires_at_ms INTEGER,
    -- 'owner' or 'proxy'
    given_by      TEXT NOT NULL CHECK (given_by IN ('owner', 'proxy')),
    signer        TEXT NOT NULL,
    document      TEXT NOT NULL
);
CREATE INDEX consent_record_subject ON consent_record (subject_kind, subject_id, purpose, seq);

CREATE TRIGGER consent_record_no_update BEFORE UPDATE ON consent_record
BEGIN
    SELECT RAISE(ABORT, 'consent history is append-only');
END;

CREATE TRIGGER consent_record_no_delete BEFORE DELETE ON consent_record
BEGIN
    SELECT RAISE(ABORT, 'consent history is append-only');
END;
