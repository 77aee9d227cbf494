-- Each store's last-week uptime and downtime (exact microseconds) from the temp table
-- report_us (the report as of one week's end): the per-store weekly totals the fleet trend
-- sums for any choice of stores (loop_core/context.py week_totals, trend_of).
WITH stores_of_week AS (
    SELECT store_id, up_week_us, down_week_us FROM report_us
),

final AS (
    SELECT store_id, up_week_us::BIGINT AS up_us, down_week_us::BIGINT AS down_us
    FROM stores_of_week
)

SELECT * FROM final ORDER BY store_id
