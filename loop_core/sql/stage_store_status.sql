-- Polls from one file: parsed, validated, with a reason for every row that cannot be read.
-- Parameters: store_id position, status position, timestamp position, path, field count (x2).
WITH fields AS (
    SELECT
        raw,
        length(unquoted) - length(replace(unquoted, ',', '')) + 1 AS n_fields,
        trim(split_part(unquoted, ',', ?)) AS store_id,
        lower(trim(split_part(unquoted, ',', ?))) AS status,
        trim(split_part(unquoted, ',', ?)) AS timestamp_text
    FROM feed_lines(?)
),

parsed AS (
    SELECT
        *,
        CASE status WHEN 'active' THEN true WHEN 'inactive' THEN false END AS is_active,
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
            WHEN is_active IS NULL THEN 'unknown status "' || status || '"'
            WHEN timestamp_utc IS NULL THEN 'unparseable timestamp "' || timestamp_text || '"'
        END AS reason
    FROM parsed
)

SELECT * FROM final
