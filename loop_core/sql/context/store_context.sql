-- Each store of the report with its context (docs/RULES.md "Store context"): name, region,
-- brand and effective zone, hours of uptime and downtime per window, uptime %, the target
-- and the week's remaining budget, the estimated lost revenue, and the same week as of
-- now - 7 days. Reads the temp tables context_current (the report's report_us as of now)
-- and context_previous (the same as of now - 7 days), both filled by loop_core/context.py.
-- The stores feed only adds columns: every figure of the report is the report's own.
-- Binds: the default uptime target in % ([targets] default_uptime_pct).
WITH params AS (
    SELECT ?::DOUBLE AS default_target
),

current_us AS (
    SELECT
        store_id, up_hour_us, up_day_us, up_week_us, down_hour_us, down_day_us, down_week_us,
        has_observations
    FROM context_current
),

previous_us AS (
    SELECT
        store_id, up_week_us AS prev_up_us, down_week_us AS prev_down_us,
        has_observations AS prev_observed
    FROM context_previous
),

attributes AS (
    SELECT store_id, name, region, brand, hourly_revenue, uptime_target
    FROM store_attributes
),

zones AS (
    SELECT store_id, zone FROM store_zone(NULL)
),

described AS (
    SELECT
        c.*,
        coalesce(a.name, '') AS name,
        coalesce(a.region, '') AS region,
        coalesce(a.brand, '') AS brand,
        coalesce(z.zone, 'America/Chicago') AS timezone,
        a.hourly_revenue,
        -- A store without any observation has no known status (its figures are 0): no
        -- money is put on it.
        CASE WHEN c.has_observations THEN a.hourly_revenue END AS rate,
        CASE WHEN v.prev_observed THEN a.hourly_revenue END AS prev_rate,
        coalesce(a.uptime_target, p.default_target) AS uptime_target,
        a.uptime_target IS NOT NULL AS target_from_feed,
        v.prev_up_us,
        v.prev_down_us
    FROM current_us AS c
    CROSS JOIN params AS p
    LEFT JOIN attributes AS a USING (store_id)
    LEFT JOIN zones AS z USING (store_id)
    LEFT JOIN previous_us AS v USING (store_id)
),

figures AS (
    SELECT
        store_id,
        name,
        region,
        brand,
        timezone,
        hourly_revenue,
        uptime_target,
        target_from_feed,
        up_hour_us / 3600000000.0 AS uptime_h_last_hour,
        down_hour_us / 3600000000.0 AS downtime_h_last_hour,
        uptime_pct(up_hour_us, down_hour_us) AS uptime_pct_last_hour,
        lost_revenue(down_hour_us, rate) AS lost_revenue_last_hour,
        up_day_us / 3600000000.0 AS uptime_h_last_day,
        down_day_us / 3600000000.0 AS downtime_h_last_day,
        uptime_pct(up_day_us, down_day_us) AS uptime_pct_last_day,
        lost_revenue(down_day_us, rate) AS lost_revenue_last_day,
        up_week_us / 3600000000.0 AS uptime_h_last_week,
        down_week_us / 3600000000.0 AS downtime_h_last_week,
        uptime_pct(up_week_us, down_week_us) AS uptime_pct_last_week,
        lost_revenue(down_week_us, rate) AS lost_revenue_last_week,
        coalesce(uptime_pct(up_week_us, down_week_us) < uptime_target, FALSE) AS below_target,
        budget_left_h(up_week_us, down_week_us, uptime_target) AS budget_left_h,
        uptime_pct(prev_up_us, prev_down_us) AS uptime_pct_last_week_previous,
        prev_up_us / 3600000000.0 AS uptime_h_last_week_previous,
        prev_down_us / 3600000000.0 AS downtime_h_last_week_previous,
        (down_week_us - prev_down_us) / 3600000000.0 AS downtime_h_last_week_change,
        uptime_pct(up_week_us, down_week_us) - uptime_pct(prev_up_us, prev_down_us)
            AS uptime_pct_last_week_change,
        lost_revenue(prev_down_us, prev_rate) AS lost_revenue_last_week_previous
    FROM described
),

final AS (
    SELECT * FROM figures
)

SELECT * FROM final ORDER BY store_id
