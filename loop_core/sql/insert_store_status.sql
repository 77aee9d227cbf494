-- Append the readable polls of the temp table `staged`, skipping exact duplicates (within
-- the file and against what is already stored). Only stored polls inside the file's time
-- range are compared, so the probe reads a small part of a large table.
-- Run after insert_stores.sql. Parameters: load_id.
WITH new_polls AS (
    SELECT DISTINCT store_id, is_active, timestamp_utc
    FROM staged
    WHERE reason IS NULL
),

file_range AS (
    SELECT min(timestamp_utc) AS lo, max(timestamp_utc) AS hi FROM new_polls
),

stored AS (
    SELECT s.store_id, s.is_active, s.timestamp_utc
    FROM store_status AS s, file_range AS r
    WHERE s.timestamp_utc BETWEEN r.lo AND r.hi
),

final AS (
    SELECT n.store_id, k.store_key, n.is_active, n.timestamp_utc
    FROM new_polls AS n
    INNER JOIN stores AS k USING (store_id)
    ANTI JOIN stored AS s USING (store_id, is_active, timestamp_utc)
)

INSERT INTO store_status
SELECT store_id, store_key, is_active, timestamp_utc, ? FROM final
