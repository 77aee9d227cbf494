-- The fleet trend's uptime % per week (loop_core/context.py trend_of) from the chosen
-- stores' summed weekly microseconds, through macro uptime_pct: the rule the report-side
-- figures use (NULL without business time). One row per list position, in order.
-- Binds: uptime sums (HUGEINT[]), downtime sums (HUGEINT[]), of equal length.
WITH params AS (
    SELECT ?::HUGEINT[] AS ups, ?::HUGEINT[] AS downs
),

weeks AS (
    SELECT
        unnest(ups) AS up_us,
        unnest(downs) AS down_us,
        generate_subscripts(ups, 1) AS position
    FROM params
),

final AS (
    SELECT position, uptime_pct(up_us, down_us) AS uptime_pct FROM weeks
)

SELECT uptime_pct FROM final ORDER BY position
