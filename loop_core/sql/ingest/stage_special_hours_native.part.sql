-- Special hours on the typed fast path (follows ingest/source_typed.part.sql): the reader
-- parses the date (DATE) and the times (TIME), as try_cast does on the careful path; an
-- empty time is NULL (both NULL: closed that day). Same columns as
-- ingest/stage_special_hours.part.sql without raw and reason.
final AS (
    SELECT
        tidy(f1) AS store_id,
        f2 AS local_date,
        f3 AS start_time_local,
        f4 AS end_time_local
    FROM source
)

SELECT * FROM final
