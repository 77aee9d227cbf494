-- Special hours from one file, validated (SPEC "Special hours").
-- Follows a `source` CTE (see ingest.py) with columns line, raw, pre_reason, n_fields and
-- f1..fN in the order of the feed's columns. Parameter: the header's field count.
-- The fast reader gives NULL for an empty field, the careful one '': both become ''.
-- Both times empty is a valid row: the store is closed that date (NULL times).
fields AS (
    SELECT
        raw,
        line,
        pre_reason,
        n_fields,
        tidy(f1) AS store_id,
        tidy(f2) AS date_text,
        tidy(f3) AS start_text,
        tidy(f4) AS end_text
    FROM source
),

parsed AS (
    SELECT
        *,
        try_cast(date_text AS DATE) AS local_date,
        try_cast(nullif(start_text, '') AS TIME) AS start_time_local,
        try_cast(nullif(end_text, '') AS TIME) AS end_time_local
    FROM fields
),

final AS (
    SELECT
        raw,
        line,
        store_id,
        local_date,
        start_time_local,
        end_time_local,
        coalesce(record_reason(pre_reason, n_fields, ?, store_id), CASE
            WHEN local_date IS NULL THEN 'bad date "' || date_text || '" (expected YYYY-MM-DD)'
            WHEN NOT special_date_plausible(local_date)
                THEN 'date "' || date_text || '" is outside the plausible range '
                    || '(2000-01-01 to 2099-12-31)'
            WHEN (start_text = '') <> (end_text = '')
                THEN 'only one of start_time_local and end_time_local is empty '
                    || '(both empty means closed that day)'
            WHEN start_text <> '' AND start_time_local IS NULL
                THEN 'bad start time "' || start_text || '"'
            WHEN end_text <> '' AND end_time_local IS NULL THEN 'bad end time "' || end_text || '"'
        END) AS reason
    FROM parsed
)

SELECT * FROM final
