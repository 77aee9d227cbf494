-- Archived polls read back from their Parquet files (archive.py) into the temp table
-- `archived_polls`, keyed like store_status. A flag is kept only when it was computed with
-- the rules in force and with the store's current hours; otherwise it is NULL and
-- archive/classify.sql computes it again.
-- Parameters: files (paths), whether their flags' rules are current, lo and hi (polls in
-- [lo, hi]; NULL = unbounded), after_month ('YYYY-MM': only later months, except
-- for the stores in `whole_keys`; NULL = every month), whole_keys, only_store (NULL = all).
INSERT INTO archived_polls
WITH source AS (
    SELECT store_id, status = 'active' AS is_active, timestamp_utc, in_hours, hours_hash, month
    FROM read_parquet(?::VARCHAR[], hive_partitioning = true)
),

params AS (
    SELECT
        ?::BOOLEAN AS trusted,
        coalesce(?::TIMESTAMPTZ, '-infinity'::TIMESTAMPTZ) AS lo,
        coalesce(?::TIMESTAMPTZ, 'infinity'::TIMESTAMPTZ) AS hi,
        ?::VARCHAR AS after_month,
        ?::INTEGER[] AS whole_keys,
        ?::VARCHAR AS only_store
),

final AS (
    SELECT
        k.store_key,
        s.is_active,
        CASE WHEN p.trusted AND s.hours_hash = k.hours_hash THEN s.in_hours END AS in_hours,
        s.timestamp_utc
    FROM source AS s
    INNER JOIN stores AS k USING (store_id)
    CROSS JOIN params AS p
    WHERE
        s.timestamp_utc BETWEEN p.lo AND p.hi
        AND (p.after_month IS NULL OR s.month > p.after_month
             OR list_contains(p.whole_keys, k.store_key))
        AND (p.only_store IS NULL OR k.store_id = p.only_store)
)

SELECT * FROM final
