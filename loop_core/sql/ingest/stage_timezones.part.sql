-- Timezones from one file, validated.
-- A zone name that is not a valid IANA zone is NOT rejected here: the report falls back to
-- America/Chicago for it and the data-quality view reports it. A store given two different
-- zones in one file is ambiguous: all its rows are rejected (it then uses the default).
-- Follows a `source` CTE (see ingest.py) with columns line, raw, pre_reason, n_fields and
-- f1..fN in the order of the feed's columns. Parameter: the header's field count.
-- The fast reader gives NULL for an empty field, the careful one '': both become ''.
fields AS (
    SELECT
        raw,
        line,
        pre_reason,
        n_fields,
        tidy(f1) AS store_id,
        tidy(f2) AS timezone_str
    FROM source
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
        line,
        store_id,
        timezone_str,
        coalesce(record_reason(pre_reason, n_fields, ?, store_id), CASE
            -- The fast reader keeps a NUL byte (the careful one rejects its line).
            WHEN contains(store_id || timezone_str, chr(0)) THEN 'contains a NUL byte'
            WHEN timezone_str = '' THEN 'empty timezone_str'
            WHEN zones_for_store > 1
                THEN 'store has ' || zones_for_store || ' different timezones in this file'
        END) AS reason
    FROM zone_counts
)

SELECT * FROM final
