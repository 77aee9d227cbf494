-- Version 9: each store's last observation of every UTC day, so that finding a store's
-- last observation before a report's or timeline's range reads a few rows per store
-- instead of every poll ever stored (report/observations.part.sql; docs/PERFORMANCE.md).
--   day      : the UTC day number (days since 1970-01-01) of the observations
--   last_key : epoch_us * 2 + is_active of the day's last observation; at one instant the
--              active poll sorts last, as in the report's window.
-- Derived from store_status and kept in step with its in_hours flags by every load and
-- reclassification (derived.summarise_days). Unclassified polls count once classified.
-- Rows are written in day order, so a scan of recent days skips the older row groups.
CREATE TABLE observation_days (
    store_key  INTEGER NOT NULL,
    day        INTEGER NOT NULL,
    last_key   BIGINT NOT NULL
);

INSERT INTO observation_days
SELECT
    store_key,
    (epoch_us(timestamp_utc) // 86400000000)::INTEGER AS day,
    max(epoch_us(timestamp_utc) * 2 + is_active::BIGINT) AS last_key
FROM store_status
WHERE in_hours
GROUP BY ALL
ORDER BY day;

-- A lower bound of the day of each store's first observation (NULL: none yet). Only ever
-- lowered (a reclassification that removes observations leaves it as it was), so it is
-- safe to skip the older days of a store whose first observation day comes after them.
ALTER TABLE stores ADD COLUMN first_observation_day INTEGER;
UPDATE stores AS k
SET first_observation_day = f.day
FROM (SELECT store_key, min(day) AS day FROM observation_days GROUP BY store_key) AS f
WHERE k.store_key = f.store_key;
