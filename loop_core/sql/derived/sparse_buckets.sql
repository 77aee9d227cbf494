-- The day buckets for the pending polls outside the interval cache's range (older than
-- it; derived.classify_pending): business intervals computed only for the UTC days those
-- polls fall on and only for their stores' hours hashes (day_buckets), into the temp table
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

final AS (
    SELECT *
    FROM day_buckets(
        (SELECT list(DISTINCT day) FROM outside), (SELECT list(DISTINCT hours_hash) FROM outside)
    )
)

SELECT * FROM final
