-- Fast path for an hours file: DuckDB's strict CSV reader parses the day (TINYINT) and
-- the times (TIME) itself, as try_cast does on the careful path. A value it cannot parse
-- makes it fail, and a row failing ingest.py's native_check sends the load to the careful
-- path (source_lines.sql + stage_business_hours.sql), which keeps raw text and reasons.
-- {fields} lists f1..f4. Parameters: path, columns (column name -> type, header order).
WITH source AS (
    SELECT {fields}
    FROM read_csv(
        ?, header = true, columns = ?, auto_detect = false, delim = ',', quote = '"',
        escape = '"', strict_mode = true
    )
),

final AS (
    SELECT
        tidy(f1) AS store_id,
        f2 AS day_of_week,
        f3 AS start_time_local,
        f4 AS end_time_local
    FROM source
)

SELECT * FROM final
