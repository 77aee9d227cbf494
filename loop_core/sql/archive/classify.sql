-- Mark which rows of the temp table `archived_polls` without a flag are observations
-- (inside their store's business hours, SPEC), against intervals computed for their own
-- UTC days and hours hashes only, as derived/sparse_buckets.sql does for stored polls: the
-- cost follows the polls, never the span of dates between them. Used for archived polls
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

    wanted AS (
        SELECT
            (SELECT list(DISTINCT DATE '1970-01-01' + CAST(p.t_us // 86400000000 + r.shift AS INTEGER))
             FROM pending AS p, range(-2, 3) AS r(shift)) AS dates,
            (SELECT list(DISTINCT hours_hash) FROM pending) AS hashes
    ),

    buckets AS (
        SELECT
            hours_hash,
            unnest(generate_series(start_us // 86400000000, (end_us - 1) // 86400000000)) AS day,
            start_us,
            end_us
        FROM group_intervals_on((SELECT dates FROM wanted), (SELECT hashes FROM wanted))
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
WHERE archived_polls.rowid = f.row_id
