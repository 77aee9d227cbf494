-- The extended CSV's columns after the standard ones (loop_core/context.py EXTENDED_COLUMNS),
-- one text per store in store_id order, from the temp tables context_rows
-- (context/store_context.sql) and evidence_us (evidence/evidence.part.sql, as of the same now). context.py puts each after its standard report line.
-- Figures have 2 decimals and are empty when there is no value; text from the stores
-- feed gets the spreadsheet guard (macro spreadsheet_safe) and is quoted like Python's
-- csv module does (macro csv_field, as the standard CSV's ids). Hours as in the standard
-- report (hours, not minutes).
WITH rows AS (
    SELECT * FROM context_rows
),

-- Coverage (evidence.part.sql's share; none without business time) as a %, the latest
-- observation as ISO 8601 UTC.
evidence AS (
    SELECT
        store_id,
        [observations_last_hour, observations_last_day, observations_last_week] AS used,
        strftime(latest_observation_at, '%Y-%m-%dT%H:%M:%SZ') AS latest_at,
        latest_observation_active AS latest_active,
        [
            100.0 * coverage_last_hour, 100.0 * coverage_last_day, 100.0 * coverage_last_week
        ] AS coverage
    FROM evidence_us
),

-- The number as text with 2 decimals ('' for NULL); "+ 0.0" turns a rounded -0.00 into 0.00.
texts AS (
    SELECT
        store_id,
        [name, region, brand, timezone] AS words,
        [
            hourly_revenue,
            uptime_target,
            uptime_pct_last_day,
            uptime_pct_last_week
        ] AS numbers_before,
        below_target,
        [
            budget_left_h,
            lost_revenue_last_day,
            lost_revenue_last_week,
            uptime_pct_last_week_previous,
            downtime_h_last_week_previous,
            downtime_h_last_week_change,
            lost_revenue_last_week_previous
        ] AS numbers_after,
        e.used,
        e.latest_at,
        e.latest_active,
        e.coverage
    FROM rows
    LEFT JOIN evidence AS e USING (store_id)
),

cells AS (
    SELECT
        store_id,
        list_transform(words, lambda w: csv_field(spreadsheet_safe(w))) AS word_cells,
        list_transform(numbers_before,
                       lambda x: coalesce(printf('%.2f', round(x, 2) + 0.0), '')) AS before_cells,
        CASE WHEN below_target THEN 'true' ELSE 'false' END AS below_cell,
        list_transform(numbers_after,
                       lambda x: coalesce(printf('%.2f', round(x, 2) + 0.0), '')) AS after_cells,
        list_transform(used, lambda n: n::VARCHAR)
            || [coalesce(latest_at, ''),
                CASE latest_active WHEN true THEN 'true' WHEN false THEN 'false' ELSE '' END]
            || list_transform(coverage,
                              lambda x: coalesce(printf('%.2f', round(x, 2) + 0.0), ''))
            AS evidence_cells
    FROM texts
),

final AS (
    SELECT
        store_id,
        array_to_string(
            word_cells || before_cells || [below_cell] || after_cells || evidence_cells, ','
        ) AS tail
    FROM cells
)

SELECT tail FROM final ORDER BY store_id
