-- The kiosk's device database (SQLCipher, under the device key from the platform key store).
-- No memory content lives here: staff, the residents' wrapped vault keys and sealed profiles.

CREATE TABLE staff (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('care_worker', 'activity_coordinator', 'administrator')),
    -- Argon2id salt and cost of this member's PIN.
    salt             BLOB NOT NULL,
    memory_kib       INTEGER NOT NULL,
    iterations       INTEGER NOT NULL,
    -- The kiosk master key, wrapped under the key the PIN stretches into.
    wrapped_master   BLOB NOT NULL,
    failed_attempts  INTEGER NOT NULL DEFAULT 0,
    locked_until_ms  INTEGER NOT NULL DEFAULT 0,
    created_ms       INTEGER NOT NULL
);

CREATE TABLE resident (
    id           TEXT PRIMARY KEY,
    created_ms   INTEGER NOT NULL,
    -- The resident's vault key, wrapped under the master key.
    wrapped_key  BLOB NOT NULL,
    -- Profile JSON and photo, sealed under a key derived from the master key.
    profile      BLOB NOT NULL,
    photo        BLOB
);

-- Secrets of a resident's vault (its database key, the resident's identity seed, proxies'
-- signing keys), each wrapped under that resident's vault key.
CREATE TABLE vault_secret (
    resident_id  TEXT NOT NULL REFERENCES resident(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    wrapped      BLOB NOT NULL,
    PRIMARY KEY (resident_id, name)
);

CREATE TABLE kiosk_setting (
    name   TEXT PRIMARY KEY,
    value  INTEGER NOT NULL
);
