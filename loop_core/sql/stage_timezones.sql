-- Timezones from one file, validated. Reads the temp table `lines`.
-- A zone name that is not a valid IANA zone is NOT rejected here: the row is kept and the
-- report falls back to America/Chicago for it, and data quality reports it.
-- A second, different zone for the same store is rejected (the first row by line wins).
-- Parameters: store_id position, zone position, field count (x2).
WITH fields AS (
    SELECT
        line,
        raw,
        len(fields) AS n_fields,
        fields[?] AS store_id,
        fields[?] AS timezone_str
    FROM lines
),

ranked AS (
    SELECT
        *,
        first_value(timezone_str) OVER (PARTITION BY store_id ORDER BY line) AS first_zone
    FROM fields
    WHERE coalesce(store_id, '') <> '' AND coalesce(timezone_str, '') <> ''
),

final AS (
    SELECT
        f.line,
        f.raw,
        f.store_id,
        f.timezone_str,
        CASE
            WHEN f.n_fields < ? THEN 'expected ' || ? || ' fields, found ' || f.n_fields
            WHEN coalesce(f.store_id, '') = '' THEN 'empty store_id'
            WHEN coalesce(f.timezone_str, '') = '' THEN 'empty timezone_str'
            WHEN r.first_zone <> f.timezone_str
                THEN 'store already has timezone "' || r.first_zone || '" in this file'
        END AS reason
    FROM fields AS f
    LEFT JOIN ranked AS r USING (line)
)

SELECT * FROM final
