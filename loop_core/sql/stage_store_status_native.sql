-- Polls on the typed fast path (follows source_typed.sql). The reader parses f3 first as
-- a TIMESTAMP in the real feeds' format (ingest.py, timestamp_format), else as a
-- TIMESTAMPTZ: any ISO 8601 form, as try_cast does on the careful path. Same columns as
-- stage_store_status.sql without raw and reason.
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
        -- Through epoch microseconds: a TIMESTAMP's wall time is UTC here, and the plain
        -- cast to TIMESTAMPTZ goes through the zone calendar (0.1 s over 2.6M polls).
        make_timestamptz(epoch_us(f3)) AS timestamp_utc
    FROM source
)

SELECT * FROM final
