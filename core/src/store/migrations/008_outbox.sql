-- 008: the outbox. Items to upload, each sealed once to the enclave key and kept sealed on disk
-- until the enclave's signed receipt arrives; the parts the store acknowledged (never sent
-- again); erasure requests for what a revocation withdrew; the enclave key epochs accepted.

CREATE TABLE outbox_item (
    id                 INTEGER PRIMARY KEY,
    -- Idempotency key for the enclave and the object key: retries never make a second object.
    upload_id          TEXT NOT NULL UNIQUE,
    subject_kind       TEXT NOT NULL,
    subject_id         INTEGER NOT NULL,
    purpose            TEXT NOT NULL,
    consent_receipt_id TEXT NOT NULL REFERENCES consent_record (receipt_id),
    -- queued → sealed → uploaded; or cancelled (consent withdrawn first), failed (refused for
    -- good), erased (withdrawn after upload, erasure receipt held).
    state              TEXT NOT NULL CHECK (state IN ('queued', 'sealed', 'uploaded', 'cancelled', 'failed', 'erased')),
    sealed_file        TEXT,
    sealed_sha256      TEXT,
    sealed_bytes       INTEGER,
    part_bytes         INTEGER,
    key_epoch          INTEGER,
    object_key         TEXT,
    -- Set when the store first acknowledged a part; never cleared (not even when the item is
    -- sealed again), so a revocation always asks for erasure of what may be out there.
    ever_sent          INTEGER NOT NULL DEFAULT 0 CHECK (ever_sent IN (0, 1)),
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ms INTEGER NOT NULL DEFAULT 0,
    -- Stable error kind of the last failure (never user content).
    last_error         TEXT,
    receipt            TEXT,
    created_at_ms      INTEGER NOT NULL,
    updated_at_ms      INTEGER NOT NULL
);
CREATE INDEX outbox_item_state ON outbox_item (state, next_attempt_at_ms);
CREATE INDEX outbox_item_subject ON outbox_item (subject_kind, subject_id, purpose);
CREATE INDEX outbox_item_consent ON outbox_item (consent_receipt_id);

CREATE TABLE outbox_part (
    item_id     INTEGER NOT NULL REFERENCES outbox_item (id) ON DELETE CASCADE,
    number      INTEGER NOT NULL,
    etag        TEXT NOT NULL,
    acked_at_ms INTEGER NOT NULL,
    PRIMARY KEY (item_id, number)
) WITHOUT ROWID;

CREATE TABLE outbox_erasure (
    id                    INTEGER PRIMARY KEY,
    consent_receipt_id    TEXT NOT NULL REFERENCES consent_record (receipt_id),
    revocation_receipt_id TEXT NOT NULL UNIQUE REFERENCES consent_record (receipt_id),
    -- pending → done; failed when the enclave refuses it for good (see last_error).
    state                 TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    attempts              INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ms    INTEGER NOT NULL DEFAULT 0,
    last_error            TEXT,
    receipt               TEXT,
    created_at_ms         INTEGER NOT NULL,
    updated_at_ms         INTEGER NOT NULL
);

CREATE TABLE outbox_setting (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
