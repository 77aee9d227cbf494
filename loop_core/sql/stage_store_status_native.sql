-- Fast path for a polls file: DuckDB's strict CSV reader parses the timestamps itself
-- (f3 is typed TIMESTAMPTZ: the real "... UTC" form and any ISO 8601 form). A value it
-- cannot parse makes it fail, and a row failing ingest.py's native_check (empty id,
-- unknown status) sends the load to the careful path (source_lines.sql +
-- stage_store_status.sql), which keeps each bad line's raw text and reason.
-- {fields} lists f1..f3. Parameters: path, columns (column name -> type, header order).
WITH source AS (
    SELECT {fields}
    FROM read_csv(
        ?, header = true, columns = ?, auto_detect = false, delim = ',', quote = '"',
        escape = '"', strict_mode = true
    )
),

final AS (
    SELECT
        -- Not trimmed here: an id starting or ending with a blank fails native_check and
        -- takes the careful path, which trims it (trimming 2.6M ids cost 0.07 s).
        coalesce(f1, '') AS store_id,
        -- Exact spelling first (cheap), any case second (SPEC: any case is allowed).
        CASE f2
            WHEN 'active' THEN true
            WHEN 'inactive' THEN false
            ELSE CASE lower(tidy(f2)) WHEN 'active' THEN true WHEN 'inactive' THEN false END
        END AS is_active,
        f3 AS timestamp_utc
    FROM source
)

SELECT * FROM final
