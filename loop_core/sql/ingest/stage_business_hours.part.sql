-- Business hours from one file, validated.
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
        tidy(f2) AS day_text,
        tidy(f3) AS start_text,
        tidy(f4) AS end_text
    FROM source
),

parsed AS (
    SELECT
        *,
        try_cast(day_text AS TINYINT) AS day_of_week,
        try_cast(start_text AS TIME) AS start_time_local,
        try_cast(end_text AS TIME) AS end_time_local
    FROM fields
),

final AS (
    SELECT
        raw,
        line,
        store_id,
        day_of_week,
        start_time_local,
        end_time_local,
        coalesce(record_reason(pre_reason, n_fields, ?, store_id), CASE
            WHEN day_of_week IS NULL OR day_of_week NOT BETWEEN 0 AND 6
                THEN 'day "' || day_text || '" is not 0 (Monday) to 6 (Sunday)'
            WHEN start_time_local IS NULL THEN 'bad start time "' || start_text || '"'
            WHEN end_time_local IS NULL THEN 'bad end time "' || end_text || '"'
        END) AS reason
    FROM parsed
)

SELECT * FROM final
