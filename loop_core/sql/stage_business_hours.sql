-- Business hours from one file, validated.
-- Parameters: store_id, day, start, end positions, path, field count (x2).
WITH fields AS (
    SELECT
        raw,
        length(unquoted) - length(replace(unquoted, ',', '')) + 1 AS n_fields,
        trim(split_part(unquoted, ',', ?)) AS store_id,
        trim(split_part(unquoted, ',', ?)) AS day_text,
        trim(split_part(unquoted, ',', ?)) AS start_text,
        trim(split_part(unquoted, ',', ?)) AS end_text
    FROM feed_lines(?)
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
        store_id,
        day_of_week,
        start_time_local,
        end_time_local,
        CASE
            WHEN n_fields < ? THEN 'expected ' || ? || ' fields, found ' || n_fields
            WHEN store_id = '' THEN 'empty store_id'
            WHEN day_of_week IS NULL OR day_of_week NOT BETWEEN 0 AND 6
                THEN 'day "' || day_text || '" is not 0 (Monday) to 6 (Sunday)'
            WHEN start_time_local IS NULL THEN 'bad start time "' || start_text || '"'
            WHEN end_time_local IS NULL THEN 'bad end time "' || end_text || '"'
        END AS reason
    FROM parsed
)

SELECT * FROM final
