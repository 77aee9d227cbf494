-- The SPEC CSV rows from the temp table `report_us` (see report.sql).
-- Rounding is done on integers: hundredths = (us * 100 + unit / 2) // unit, i.e. half up,
-- so 2-decimal figures never suffer float error. Hour figures are minutes, others hours.
WITH units AS (
    SELECT 60000000 AS minute_us, 3600000000 AS hour_us
),

rounded AS (
    SELECT
        r.store_id,
        (r.up_hour_us * 100 + u.minute_us // 2) // u.minute_us AS up_hour,
        (r.up_day_us * 100 + u.hour_us // 2) // u.hour_us AS up_day,
        (r.up_week_us * 100 + u.hour_us // 2) // u.hour_us AS up_week,
        (r.down_hour_us * 100 + u.minute_us // 2) // u.minute_us AS down_hour,
        (r.down_day_us * 100 + u.hour_us // 2) // u.hour_us AS down_day,
        (r.down_week_us * 100 + u.hour_us // 2) // u.hour_us AS down_week
    FROM report_us AS r, units AS u
),

-- Exact text for the hundredths: 174 -> '1.74', 5 -> '0.05' (no float, no Decimal objects).
final AS (
    SELECT
        -- Spreadsheet-safe: a cell starting with = + - @ (or tab/CR) would be a formula.
        CASE
            WHEN left(store_id, 1) IN ('=', '+', '-', '@', chr(9), chr(13))
                THEN '''' || store_id
            ELSE store_id
        END AS store_id,
        format('{}.{:02d}', up_hour // 100, up_hour % 100) AS uptime_last_hour,
        format('{}.{:02d}', up_day // 100, up_day % 100) AS uptime_last_day,
        format('{}.{:02d}', up_week // 100, up_week % 100) AS uptime_last_week,
        format('{}.{:02d}', down_hour // 100, down_hour % 100) AS downtime_last_hour,
        format('{}.{:02d}', down_day // 100, down_day % 100) AS downtime_last_day,
        format('{}.{:02d}', down_week // 100, down_week % 100) AS downtime_last_week
    FROM rounded
)

SELECT * FROM final ORDER BY store_id
