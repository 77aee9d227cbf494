-- The SPEC CSV's lines from the temp table `report_us` (see report/report.part.sql).
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
figures AS (
    SELECT
        store_id AS sort_id,  -- rows are sorted by the real id, not by its guarded text
        spreadsheet_safe(store_id) AS store_id,
        (up_hour // 100)::VARCHAR || '.' || lpad((up_hour % 100)::VARCHAR, 2, '0') AS up_hour,
        (up_day // 100)::VARCHAR || '.' || lpad((up_day % 100)::VARCHAR, 2, '0') AS up_day,
        (up_week // 100)::VARCHAR || '.' || lpad((up_week % 100)::VARCHAR, 2, '0') AS up_week,
        (down_hour // 100)::VARCHAR || '.' || lpad((down_hour % 100)::VARCHAR, 2, '0')
            AS down_hour,
        (down_day // 100)::VARCHAR || '.' || lpad((down_day % 100)::VARCHAR, 2, '0') AS down_day,
        (down_week // 100)::VARCHAR || '.' || lpad((down_week % 100)::VARCHAR, 2, '0')
            AS down_week
    FROM rounded
),

-- One CSV line per store, quoted as Python's csv module does (macro csv_field). Only the
-- id can need quotes; the figures are digits and a dot.
final AS (
    SELECT
        sort_id,
        csv_field(store_id)
        || ',' || up_hour || ',' || up_day || ',' || up_week
        || ',' || down_hour || ',' || down_day || ',' || down_week AS line
    FROM figures
)

SELECT line FROM final ORDER BY sort_id
