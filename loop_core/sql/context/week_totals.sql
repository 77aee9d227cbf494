-- One week of the fleet trend (loop_core/context.py weekly_trend): last week's uptime and
-- business time summed over the stores of the temp table report_us (the report as of the
-- week's end), optionally only some stores.
-- Binds: the store ids to keep (NULL = all).
WITH params AS (
    SELECT ?::VARCHAR[] AS only_ids
),

chosen AS (
    SELECT r.up_week_us, r.down_week_us
    FROM report_us AS r, params AS p
    WHERE p.only_ids IS NULL OR list_contains(p.only_ids, r.store_id)
),

final AS (
    SELECT
        coalesce(sum(up_week_us), 0)::BIGINT AS up_us,
        coalesce(sum(down_week_us), 0)::BIGINT AS down_us,
        uptime_pct(sum(up_week_us), sum(down_week_us)) AS uptime_pct
    FROM chosen
)

SELECT * FROM final
