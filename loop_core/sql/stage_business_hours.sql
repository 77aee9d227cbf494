-- Business hours from one file, validated. Reads the temp table `lines`.
-- Parameters: store_id position, day position, start position, end position, field count (x2).
WITH fields AS (
    SELECT
        line,
        raw,
        len(fields) AS n_fields,
        fields[?] AS store_id,
        fields[?] AS day_text,
        fields[?] AS start_text,
        fields[?] AS end_text
    FROM lines
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
        line,
        raw,
        store_id,
        day_of_week,
        start_time_local,
        end_time_local,
        CASE
            WHEN n_fields < ? THEN 'expected ' || ? || ' fields, found ' || n_fields
            WHEN coalesce(store_id, '') = '' THEN 'empty store_id'
            WHEN day_of_week IS NULL OR day_of_week NOT BETWEEN 0 AND 6
                THEN 'day "' || coalesce(day_text, '') || '" is not 0 (Monday) to 6 (Sunday)'
            WHEN start_time_local IS NULL
                THEN 'bad start time "' || coalesce(start_text, '') || '"'
            WHEN end_time_local IS NULL
                THEN 'bad end time "' || coalesce(end_text, '') || '"'
        END AS reason
    FROM parsed
)

SELECT * FROM final
