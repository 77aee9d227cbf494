-- Version 16: the weekly digest (loop_core/digest.py) goes through the alert outbox like
-- every alert, so it is recorded and retried the same way. A message may carry one text
-- attachment that email channels get (the digest's extended CSV); other channels get the
-- text only. digest_weeks records each week's scheduled digest once it is written (in the
-- same transaction as its message), so a restart never sends a week's digest twice.
ALTER TABLE alert_messages ADD COLUMN attachment_name VARCHAR;
ALTER TABLE alert_messages ADD COLUMN attachment VARCHAR;

CREATE TABLE digest_weeks (
    week_of     DATE PRIMARY KEY,       -- the local date of the scheduled send
    message_id  BIGINT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
