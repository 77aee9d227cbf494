-- Polls on the typed fast path (follows ingest/source_typed.part.sql). f3 is read as text
-- and parsed by poll_time (rules/macros.sql) as on the careful path: a typed read of the
-- real format fails on the odd timestamp without a fraction, and reading the file a second
-- time cost more than the parse (docs/PERFORMANCE.md). A timestamp it cannot read is NULL,
-- which sends the file to the careful path. Same columns as
-- ingest/stage_store_status.part.sql without raw and reason.
final AS (
    SELECT
        -- Not trimmed here: an id starting or ending with a blank fails native_check and
        -- takes the careful path, which trims it (trimming every id is costly).
        coalesce(f1, '') AS store_id,
        -- Exact spelling first (cheap), any case second (SPEC: any case is allowed).
        CASE f2
            WHEN 'active' THEN true
            WHEN 'inactive' THEN false
            ELSE CASE lower(tidy(f2)) WHEN 'active' THEN true WHEN 'inactive' THEN false END
        END AS is_active,
        poll_time(f3) AS timestamp_utc
    FROM source
)

SELECT * FROM final
