-- 005: the interviewer's memory: questions asked (with why), the memory that answered each,
-- settings (bereavement mode), topics the owner marked sensitive, prompts they turned off.

CREATE TABLE interview_question (
    id               INTEGER PRIMARY KEY,
    -- Stable key of what was asked ("person:12:describe"), so the same question is not repeated.
    key              TEXT NOT NULL,
    text             TEXT NOT NULL,
    reason           TEXT NOT NULL,
    reason_kind      TEXT NOT NULL,
    entity_id        INTEGER REFERENCES entity (id) ON DELETE SET NULL,
    memory_id        INTEGER REFERENCES memory (id) ON DELETE SET NULL,
    gentle           INTEGER NOT NULL DEFAULT 0 CHECK (gentle IN (0, 1)),
    asked_at_ms      INTEGER NOT NULL,
    answer_memory_id INTEGER REFERENCES memory (id) ON DELETE SET NULL,
    answered_at_ms   INTEGER
);
CREATE INDEX interview_question_key ON interview_question (key);
CREATE INDEX interview_question_answer ON interview_question (answer_memory_id);

CREATE TABLE interview_setting (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE sensitive_topic (
    topic         TEXT PRIMARY KEY,
    created_at_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE suppressed_prompt (
    key           TEXT PRIMARY KEY,
    created_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
