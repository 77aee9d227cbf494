-- Version 13: the audit log (who did what, and when). One row per action: a load (file
-- name, sha256, counts), a confirmed snapshot replacement, a report triggered, a test
-- alert, a manual sync, a compaction, the settings in force when the server started.
-- Rows are only ever appended. actor is a signed-in email, 'token:<name>' for an API
-- token, 'api' (the API while no token is set), 'local' (the dashboard without sign-in),
-- 'cli', 'sync' or 'server'. details is a JSON object as text (no JSON extension needed).
CREATE SEQUENCE audit_id_seq START 1;

CREATE TABLE audit_log (
    audit_id     BIGINT PRIMARY KEY,
    happened_at  TIMESTAMPTZ NOT NULL,
    actor        VARCHAR NOT NULL,
    action       VARCHAR NOT NULL,
    subject      VARCHAR NOT NULL,  -- what it was done to: a file name, a report id, '' if none
    details      VARCHAR NOT NULL   -- a JSON object
);
