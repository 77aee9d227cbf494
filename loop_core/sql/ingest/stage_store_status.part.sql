-- Polls from one file: parsed, validated, with a reason for every row that cannot be read.
-- Follows a `source` CTE (see ingest.py) with columns line, raw, pre_reason (the careful
-- reader's, e.g. a stray byte), n_fields and f1..fN in the order of the feed's columns.
-- Parameter: the header's field count.
-- The fast reader gives NULL for an empty field, the careful one '': both become ''.
fields AS (
    SELECT
        raw,
        line,
        pre_reason,
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
        poll_time(timestamp_text) AS timestamp_utc
    FROM fields
),

final AS (
    SELECT
        raw,
        line,
        store_id,
        is_active,
        timestamp_utc,
        coalesce(record_reason(pre_reason, n_fields, ?, store_id), CASE
            WHEN is_active IS NULL THEN 'unknown status "' || lower(status_text) || '"'
            WHEN timestamp_utc IS NULL THEN 'unparseable timestamp "' || timestamp_text || '"'
            WHEN NOT poll_time_plausible(timestamp_utc)
                THEN 'timestamp "' || timestamp_text || '" is outside the plausible range '
                    || '(2000-01-01 to a day after the load)'
        END) AS reason
    FROM parsed
)

SELECT * FROM final
