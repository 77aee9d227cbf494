-- Append the readable polls of the temp view `readable` (ingest.py), each marked in_hours
-- when it lies inside its store's business hours (an observation, SPEC), so reports never
-- classify polls. `readable` holds no duplicate rows (ingest.py removes them first when
-- its cheap check finds any); polls already stored are skipped here. Only stored polls
-- inside the file's time range are compared, so the probe reads a small part of a large
-- table. Run after ingest/insert_stores.sql, with the temp view `classify_buckets` showing
-- the interval cache's day buckets (derived.use_cached_buckets). A poll outside the cache's
-- range [lo_us, hi_us] (older than it) is stored unclassified (NULL), and
-- derived.classify_pending classifies it against intervals of its own days.
-- Parameters: lo_us, hi_us, load_id.
WITH file_range AS (
    SELECT min(timestamp_utc) AS lo, max(timestamp_utc) AS hi
    FROM readable
),

new_polls AS (
    SELECT k.store_key, k.hours_hash, s.is_active, s.timestamp_utc
    FROM readable AS s
    INNER JOIN stores AS k USING (store_id)
),

stored AS (
    SELECT s.store_key, s.is_active, s.timestamp_utc
    FROM store_status AS s, file_range AS r
    WHERE s.timestamp_utc BETWEEN r.lo AND r.hi
    UNION ALL
    -- Archived polls in the file's range (archive.stage_range): loading a file again after
    -- its polls were archived adds nothing.
    SELECT store_key, is_active, timestamp_utc FROM archived_polls
),

fresh AS (
    SELECT n.*, epoch_us(n.timestamp_utc) AS t_us
    FROM new_polls AS n
    ANTI JOIN stored AS s USING (store_key, is_active, timestamp_utc)
),

-- Same join as derived/classify_polls.sql: at most one interval can hold a poll.
buckets AS (
    SELECT * FROM classify_buckets
),

final AS (
    SELECT
        f.store_key,
        f.is_active,
        f.timestamp_utc,
        CASE WHEN f.t_us BETWEEN ? AND ? THEN b.day IS NOT NULL END AS in_hours
    FROM fresh AS f
    LEFT JOIN buckets AS b
        ON bucket_holds(b.hours_hash, b.day, b.start_us, b.end_us, f.hours_hash, f.t_us)
)

INSERT INTO store_status BY NAME
SELECT store_key, is_active, timestamp_utc, ?::BIGINT AS load_id, in_hours FROM final
