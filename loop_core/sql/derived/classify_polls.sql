-- Mark which stored polls are observations (inside their store's business hours, SPEC):
-- the polls of the stores in `changed_stores` (their hours or zone changed) and any poll
-- not classified yet, against the day buckets in the temp view `classify_buckets`.
-- New polls in the cache's range are classified as they are inserted
-- (ingest/insert_store_status.sql, same join); this is the path for snapshot loads, for
-- opening an older file and for polls older than the cache (derived.classify_pending).
-- Parameters: lo_us, hi_us (the range the buckets come from the cache for), and whether to
-- classify the pending polls inside that range (true) or outside it (false).
UPDATE store_status
SET in_hours = f.in_hours
FROM (
    WITH pending AS (
        SELECT p.rowid AS row_id, k.hours_hash, epoch_us(p.timestamp_utc) AS t_us
        FROM store_status AS p
        INNER JOIN stores AS k USING (store_key)
        WHERE (p.in_hours IS NULL OR p.store_key IN (SELECT store_key FROM changed_stores))
            AND (epoch_us(p.timestamp_utc) BETWEEN ? AND ?) = ?
    ),

    buckets AS (
        SELECT * FROM classify_buckets
    ),

    final AS (
        SELECT p.row_id, b.day IS NOT NULL AS in_hours
        FROM pending AS p
        LEFT JOIN buckets AS b
            ON bucket_holds(b.hours_hash, b.day, b.start_us, b.end_us, p.hours_hash, p.t_us)
    )

    SELECT * FROM final
) AS f
WHERE store_status.rowid = f.row_id
