-- Version 15: observation_days (migration 009) also answers status now (report/status.sql),
-- so that status reads a few rows per store and day instead of every poll ever stored.
-- One row per store and UTC day with a poll (not only with an observation):
--   day           : the UTC day number (days since 1970-01-01)
--   last_poll_key : the day's last poll, in or out of business hours
--   last_key      : the day's last observation (NULL: no poll of the day was one)
--   other_key     : the day's last observation of the other status than last_key's (NULL:
--                   every observation of the day has one status)
--   run_key       : the day's first observation after other_key: the start of the day's
--                   last run of one status (the day's first observation when other_key is
--                   NULL)
-- Keys are epoch_us * 2 + is_active, as everywhere (at one instant the active poll sorts
-- last). derived/day_rows.part.sql computes the rows; report/status.sql combines them.
-- The table is rebuilt empty; clearing derived_state makes the next open recompute every
-- derived table from the polls (derived.ensure_current), so the rule is written once.
DROP TABLE observation_days;
CREATE TABLE observation_days (
    store_key      INTEGER NOT NULL,
    day            INTEGER NOT NULL,
    last_poll_key  BIGINT NOT NULL,
    last_key       BIGINT,
    other_key      BIGINT,
    run_key        BIGINT
);
DELETE FROM derived_state;
