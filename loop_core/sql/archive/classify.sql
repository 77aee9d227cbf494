-- Mark which rows of the temp table `archived_polls` without a flag are observations
-- (inside their store's business hours, SPEC), against intervals computed for their own
-- UTC days and hours hashes only (day_buckets, as derived/sparse_buckets.sql does for
-- stored polls), with the join of derived/classify_polls.sql. Used for archived polls
-- whose store's hours changed after they were archived (archive.py).
UPDATE archived_polls
SET in_hours = f.in_hours
FROM (
    WITH pending AS (
        SELECT p.rowid AS row_id, k.hours_hash, epoch_us(p.timestamp_utc) AS t_us
        FROM archived_polls AS p
        INNER JOIN stores AS k USING (store_key)
        WHERE p.in_hours IS NULL
    ),

    buckets AS (
        SELECT *
        FROM day_buckets(
            (SELECT list(DISTINCT t_us // 86400000000) FROM pending),
            (SELECT list(DISTINCT hours_hash) FROM pending)
        )
    ),

    final AS (
        SELECT p.row_id, b.day IS NOT NULL AS in_hours
        FROM pending AS p
        LEFT JOIN buckets AS b
            ON bucket_holds(b.hours_hash, b.day, b.start_us, b.end_us, p.hours_hash, p.t_us)
    )

    SELECT * FROM final
) AS f
WHERE archived_polls.rowid = f.row_id
