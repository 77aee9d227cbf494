-- Polls from one file: parsed, validated, with a reason for every row that cannot be read.
-- Reads the temp table `lines` (see stage_lines.sql).
-- Parameters: field count, store_id position, status position, timestamp position.
WITH fields AS (
    SELECT
        line,
        raw,
        len(fields) AS n_fields,
        fields[?] AS store_id,
        lower(fields[?]) AS status,
        fields[?] AS timestamp_text
    FROM lines
),

parsed AS (
    SELECT
        *,
        CASE status WHEN 'active' THEN true WHEN 'inactive' THEN false END AS is_active,
        try_cast(timestamp_text AS TIMESTAMPTZ) AS timestamp_utc
    FROM fields
),

final AS (
    SELECT
        line,
        raw,
        store_id,
        is_active,
        timestamp_utc,
        CASE
            WHEN n_fields < ? THEN 'expected ' || ? || ' fields, found ' || n_fields
            WHEN coalesce(store_id, '') = '' THEN 'empty store_id'
            WHEN is_active IS NULL THEN 'unknown status "' || coalesce(status, '') || '"'
            WHEN timestamp_utc IS NULL
                THEN 'unparseable timestamp "' || coalesce(timestamp_text, '') || '"'
        END AS reason
    FROM parsed
)

SELECT * FROM final
