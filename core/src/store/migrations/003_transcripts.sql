-- 003: which model transcribed a recording, in which language, and when; the background queue
-- uses these to find recordings a better model should redo.
ALTER TABLE recording ADD COLUMN transcript_model TEXT;
ALTER TABLE recording ADD COLUMN transcript_language TEXT;
ALTER TABLE recording ADD COLUMN transcribed_at_ms INTEGER;
