-- Timezones from one file, validated.
-- A zone name that is not a valid IANA zone is NOT rejected here: the report falls back to
-- America/Chicago for it and the data-quality view reports it. A store given two different
-- zones in one file is ambiguous: all its rows are rejected (it then uses the default).
-- Parameters: store_id, zone positions, path, field count (x2).
WITH fields AS (
    SELECT
        raw,
        length(unquoted) - length(replace(unquoted, ',', '')) + 1 AS n_fields,
        trim(split_part(unquoted, ',', ?)) AS store_id,
        trim(split_part(unquoted, ',', ?)) AS timezone_str
    FROM feed_lines(?)
),

zone_counts AS (
    SELECT
        *,
        count(DISTINCT nullif(timezone_str, '')) OVER (PARTITION BY store_id) AS zones_for_store
    FROM fields
),

final AS (
    SELECT
        raw,
        store_id,
        timezone_str,
        CASE
            WHEN n_fields < ? THEN 'expected ' || ? || ' fields, found ' || n_fields
            WHEN store_id = '' THEN 'empty store_id'
            WHEN timezone_str = '' THEN 'empty timezone_str'
            WHEN zones_for_store > 1
                THEN 'store has ' || zones_for_store || ' different timezones in this file'
        END AS reason
    FROM zone_counts
)

SELECT * FROM final
