-- Polls from one file: parsed, validated, with a reason for every row that cannot be read.
-- Follows a `source` CTE (see ingest.py) with columns raw, n_fields, f1..fN in the
-- order of the feed's columns. Parameters: field count (x2).
-- The fast reader gives NULL for an empty field, the careful one '': both become ''.
fields AS (
    SELECT
        raw,
        n_fields,
        tidy(f1) AS store_id,
        tidy(f2) AS status_text,
        -- Not trimmed: every timestamp holds a blank, and both parsers below skip padding.
        coalesce(f3, '') AS timestamp_text
    FROM source
),

parsed AS (
    SELECT
        *,
        -- Exact spelling first (cheap), any case second (SPEC: any case is allowed).
        CASE status_text
            WHEN 'active' THEN true
            WHEN 'inactive' THEN false
            ELSE CASE lower(status_text) WHEN 'active' THEN true WHEN 'inactive' THEN false END
        END AS is_active,
        -- The real feeds' format first (fast), then any ISO 8601 form (Z, +00:00, ...).
        coalesce(
            try_strptime(timestamp_text, ['%Y-%m-%d %H:%M:%S.%f UTC', '%Y-%m-%d %H:%M:%S UTC']),
            try_cast(timestamp_text AS TIMESTAMPTZ)
        ) AS timestamp_utc
    FROM fields
),

final AS (
    SELECT
        raw,
        store_id,
        is_active,
        timestamp_utc,
        CASE
            WHEN n_fields < ? THEN 'expected ' || ? || ' fields, found ' || n_fields
            WHEN store_id = '' THEN 'empty store_id'
            WHEN is_active IS NULL THEN 'unknown status "' || lower(status_text) || '"'
            WHEN timestamp_utc IS NULL THEN 'unparseable timestamp "' || timestamp_text || '"'
        END AS reason
    FROM parsed
)

SELECT * FROM final
