-- Append the readable polls of the temp table `staged`, skipping exact duplicates (within
-- the file and against what is already stored). Duplicates are found on the integer store
-- key, and only stored polls inside the file's time range are compared, so the probe
-- reads a small part of a large table.
-- Run after insert_stores.sql. Parameters: load_id.
WITH keyed AS (
    SELECT k.store_key, s.is_active, s.timestamp_utc
    FROM staged AS s
    INNER JOIN stores AS k USING (store_id)
    WHERE s.reason IS NULL
),

new_polls AS (
    SELECT DISTINCT store_key, is_active, timestamp_utc
    FROM keyed
),

file_range AS (
    SELECT min(timestamp_utc) AS lo, max(timestamp_utc) AS hi FROM new_polls
),

stored AS (
    SELECT s.store_key, s.is_active, s.timestamp_utc
    FROM store_status AS s, file_range AS r
    WHERE s.timestamp_utc BETWEEN r.lo AND r.hi
),

final AS (
    SELECT n.*
    FROM new_polls AS n
    ANTI JOIN stored AS s USING (store_key, is_active, timestamp_utc)
)

INSERT INTO store_status
SELECT store_key, is_active, timestamp_utc, ? FROM final
