-- Store attributes from one file, validated (SPEC "Feeds": stores).
-- Follows a `source` CTE (see ingest.py) with columns line, raw, pre_reason, n_fields and
-- f1..f6 (store_id, name, region, brand, hourly_revenue, uptime_target); a column the
-- header lacks is NULL. Parameter: the header's field count.
-- The fast reader gives NULL for an empty field, the careful one '': both become ''.
-- A store given two different rows in one file is ambiguous: all its rows are rejected.
fields AS (
    SELECT
        raw,
        line,
        pre_reason,
        n_fields,
        tidy(f1) AS store_id,
        tidy(f2) AS name_text,
        tidy(f3) AS region_text,
        tidy(f4) AS brand_text,
        tidy(f5) AS revenue_text,
        tidy(f6) AS target_text
    FROM source
),

parsed AS (
    SELECT
        *,
        nullif(name_text, '') AS name,
        nullif(region_text, '') AS region,
        nullif(brand_text, '') AS brand,
        try_cast(nullif(revenue_text, '') AS DOUBLE) AS hourly_revenue,
        try_cast(nullif(target_text, '') AS DOUBLE) AS uptime_target,
        count(DISTINCT hash(name_text, region_text, brand_text, revenue_text, target_text))
            OVER (PARTITION BY store_id) AS rows_for_store
    FROM fields
),

final AS (
    SELECT
        raw,
        line,
        store_id,
        name,
        region,
        brand,
        hourly_revenue,
        uptime_target,
        coalesce(record_reason(pre_reason, n_fields, ?, store_id), CASE
            -- The fast reader keeps a NUL byte (the careful one rejects its line).
            WHEN contains(store_id || name_text || region_text || brand_text, chr(0))
                THEN 'contains a NUL byte'
            WHEN length(name_text) > 200 THEN 'name longer than 200 characters'
            WHEN length(region_text) > 200 THEN 'region longer than 200 characters'
            WHEN length(brand_text) > 200 THEN 'brand longer than 200 characters'
            WHEN revenue_text <> '' AND (hourly_revenue IS NULL OR NOT isfinite(hourly_revenue))
                THEN 'bad hourly_revenue "' || revenue_text || '"'
            WHEN hourly_revenue < 0 THEN 'negative hourly_revenue "' || revenue_text || '"'
            WHEN target_text <> '' AND (uptime_target IS NULL OR NOT isfinite(uptime_target))
                THEN 'bad uptime_target "' || target_text || '"'
            WHEN uptime_target <= 0 OR uptime_target > 100
                THEN 'uptime_target "' || target_text || '" is outside (0, 100]'
            WHEN rows_for_store > 1
                THEN 'store has ' || rows_for_store || ' different rows in this file'
        END) AS reason
    FROM parsed
)

SELECT * FROM final
