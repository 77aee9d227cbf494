-- Polls on the typed fast path (follows ingest/source_typed.part.sql). The reader parses f3 first as
-- a TIMESTAMP in the real feeds' format (ingest.py, timestamp_format), else as a
-- TIMESTAMPTZ: any ISO 8601 form, as try_cast does on the careful path. Same columns as
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
        -- Through epoch microseconds: a TIMESTAMP's wall time is UTC here, and the plain
        -- cast to TIMESTAMPTZ goes through the zone calendar row by row (slower).
        make_timestamptz(epoch_us(f3)) AS timestamp_utc
    FROM source
)

SELECT * FROM final
