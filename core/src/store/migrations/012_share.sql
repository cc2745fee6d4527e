-- Family shares go through the outbox sealed to the family circle's keys, snapshotted when the
-- share is queued (a JSON array of age recipients), never to the enclave. NULL: sealed to the
-- enclave, as every other purpose.
ALTER TABLE outbox_item ADD COLUMN recipients TEXT;
