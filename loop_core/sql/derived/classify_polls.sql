-- Mark which stored polls are observations (inside their store's business hours, SPEC):
-- the polls of the stores in `changed_stores` (their hours or zone changed) and any poll
-- not classified yet. New polls are classified as they are inserted (ingest/insert_store_status
-- .sql, same join); this is the path for snapshot loads and for opening an older file.
-- derived.py first makes interval_cache cover every poll.
UPDATE store_status
SET in_hours = f.in_hours
FROM (
    WITH pending AS (
        SELECT p.rowid AS row_id, k.hours_hash, epoch_us(p.timestamp_utc) AS t_us
        FROM store_status AS p
        INNER JOIN stores AS k USING (store_key)
        WHERE p.in_hours IS NULL OR p.store_key IN (SELECT store_key FROM changed_stores)
    ),

    buckets AS (
        SELECT * FROM cached_day_buckets()
    ),

    final AS (
        SELECT p.row_id, b.day IS NOT NULL AS in_hours
        FROM pending AS p
        LEFT JOIN buckets AS b
            ON p.hours_hash = b.hours_hash
            AND p.t_us // 86400000000 = b.day
            AND p.t_us >= b.start_us
            AND p.t_us < b.end_us
    )

    SELECT * FROM final
) AS f
WHERE store_status.rowid = f.row_id
