-- Federated learning (issue 8): the owner's privacy budget and what was spent, the rounds this
-- device joined and the update each produced (sent through the outbox under the "AI training"
-- consent; the enclave's receipt there makes the contribution ledger), and a training
-- checkpoint so an interrupted round resumes.

CREATE TABLE learn_budget (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    -- The owner's ceiling: total ε at δ.
    epsilon    REAL NOT NULL CHECK (epsilon > 0),
    delta      REAL NOT NULL CHECK (delta > 0 AND delta < 1),
    -- The accountant's state: JSON {"rdp": [RDP at each order], "rounds": n}.
    spent      TEXT NOT NULL DEFAULT '[]',
    updated_ms INTEGER NOT NULL
);

CREATE TABLE learn_update (
    id            INTEGER PRIMARY KEY,
    task          TEXT NOT NULL,
    round         INTEGER NOT NULL,
    -- The enclave's announcement the round was trained under (signed JSON).
    announcement  TEXT NOT NULL,
    -- The clipped, noised weight difference (safetensors with the round's metadata); cleared
    -- once the enclave's receipt is held or the item is cancelled.
    update_file   BLOB,
    update_sha256 TEXT NOT NULL,
    update_bytes  INTEGER NOT NULL,
    example_count INTEGER NOT NULL CHECK (example_count > 0),
    -- What this round cost at δ: ε of the round's published average, the owner's running total
    -- after it, and ε of this update seen alone (more when the noise is split over clients).
    epsilon_round  REAL NOT NULL,
    epsilon_total  REAL NOT NULL,
    epsilon_update REAL NOT NULL,
    created_ms    INTEGER NOT NULL,
    UNIQUE (task, round)
);

CREATE TABLE learn_checkpoint (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    task        TEXT NOT NULL,
    round       INTEGER NOT NULL,
    -- The global model's hash: a checkpoint of another model is never resumed.
    model_sha256 TEXT NOT NULL,
    epochs_done INTEGER NOT NULL,
    weights     BLOB NOT NULL,
    updated_ms  INTEGER NOT NULL
);

-- The last global model this device fetched (signed and hash-checked with its round): the
-- tagger whose confident guesses become emotion proposals for the owner.
CREATE TABLE learn_model (
    task       TEXT PRIMARY KEY,
    round      INTEGER NOT NULL,
    labels     TEXT NOT NULL,
    model      BLOB NOT NULL,
    updated_ms INTEGER NOT NULL
);
