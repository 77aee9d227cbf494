-- The day buckets for the pending polls outside the interval cache's range (older than
-- it; derived.classify_pending): business intervals computed only for the UTC days those
-- polls fall on (their local dates d-2 .. d+2, see group_intervals_on) and only for their
-- stores' hours hashes, filed under each UTC day they touch, into the temp table
-- `sparse_day_buckets` (derived.py then points the view `classify_buckets` at it).
-- Parameters: lo_us, hi_us (the cache's range).
CREATE OR REPLACE TEMP TABLE sparse_day_buckets AS
WITH outside AS (
    SELECT DISTINCT k.hours_hash, epoch_us(p.timestamp_utc) // 86400000000 AS day
    FROM store_status AS p
    INNER JOIN stores AS k USING (store_key)
    WHERE (p.in_hours IS NULL OR p.store_key IN (SELECT store_key FROM changed_stores))
        AND epoch_us(p.timestamp_utc) NOT BETWEEN ? AND ?
),

wanted AS (
    SELECT
        (SELECT list(DISTINCT DATE '1970-01-01' + CAST(o.day + r.shift AS INTEGER))
         FROM outside AS o, range(-2, 3) AS r(shift)) AS dates,
        (SELECT list(DISTINCT hours_hash) FROM outside) AS hashes
),

intervals AS (
    SELECT * FROM group_intervals_on((SELECT dates FROM wanted), (SELECT hashes FROM wanted))
),

final AS (
    SELECT
        hours_hash,
        unnest(generate_series(start_us // 86400000000, (end_us - 1) // 86400000000)) AS day,
        start_us,
        end_us
    FROM intervals
)

SELECT * FROM final
