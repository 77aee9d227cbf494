-- Fleet up/down time per store-local date and hour, from the engine's interpolated status
-- spans (timeline.status_spans, registered as the view `fleet_spans`): the same spans the
-- drill-down draws and the report sums, cut at every local hour boundary.
-- Business time without a known status (stores with no observation) is in neither sum.
--
-- No span is exploded into its hours: a span adds its partial first and last hours
-- directly, and its whole hours in between through a difference array (+1 at its first
-- whole hour, -1 after its last) whose running sum counts the spans covering each hour.
WITH stg_spans AS (
    SELECT
        is_active,
        CAST(start_local AS TIMESTAMP) AS start_local,
        CAST(end_local AS TIMESTAMP)   AS end_local
    FROM fleet_spans
    WHERE kind = 'span'
      -- a span across a DST fall-back can end "before" it starts in wall time; skip it
      AND end_local > start_local
),

bounded AS (
    SELECT
        is_active,
        start_local,
        end_local,
        date_trunc('hour', start_local) AS first_hour,
        date_trunc('hour', end_local)   AS last_hour
    FROM stg_spans
),

-- Seconds that fall in a span's first and last (partial) hours.
partials AS (
    SELECT is_active, first_hour AS hour_start, epoch(end_local - start_local) AS seconds
    FROM bounded WHERE first_hour = last_hour
    UNION ALL
    SELECT is_active, first_hour, epoch(first_hour + INTERVAL 1 HOUR - start_local)
    FROM bounded WHERE first_hour < last_hour
    UNION ALL
    SELECT is_active, last_hour, epoch(end_local - last_hour)
    FROM bounded WHERE first_hour < last_hour AND end_local > last_hour
),

-- Whole hours strictly between the first and the last: [first_hour + 1 h, last_hour).
whole_edges AS (
    SELECT is_active, first_hour + INTERVAL 1 HOUR AS hour_start, 1 AS delta
    FROM bounded WHERE last_hour > first_hour + INTERVAL 1 HOUR
    UNION ALL
    SELECT is_active, last_hour, -1
    FROM bounded WHERE last_hour > first_hour + INTERVAL 1 HOUR
),

hours AS (
    SELECT unnest(generate_series(
        (SELECT min(first_hour) FROM bounded), (SELECT max(last_hour) FROM bounded),
        INTERVAL 1 HOUR
    )) AS hour_start
),

statuses AS (
    SELECT true AS is_active UNION ALL SELECT false
),

grid AS (
    SELECT s.is_active, h.hour_start
    FROM statuses AS s, hours AS h
),

per_hour AS (
    SELECT
        g.is_active,
        g.hour_start,
        coalesce(p.seconds, 0)
        + 3600 * sum(coalesce(w.delta, 0)) OVER (
            PARTITION BY g.is_active ORDER BY g.hour_start ROWS UNBOUNDED PRECEDING
        ) AS seconds
    FROM grid AS g
    LEFT JOIN (
        SELECT is_active, hour_start, sum(seconds) AS seconds FROM partials GROUP BY ALL
    ) AS p USING (is_active, hour_start)
    LEFT JOIN (
        SELECT is_active, hour_start, sum(delta) AS delta FROM whole_edges GROUP BY ALL
    ) AS w USING (is_active, hour_start)
),

final AS (
    SELECT
        CAST(hour_start AS DATE)                                   AS local_date,
        CAST(isodow(hour_start) - 1 AS INTEGER)                    AS day_of_week,
        CAST(hour(hour_start) AS INTEGER)                          AS local_hour,
        coalesce(sum(seconds) FILTER (WHERE is_active), 0) / 3600.0     AS up_h,
        coalesce(sum(seconds) FILTER (WHERE NOT is_active), 0) / 3600.0 AS down_h
    FROM per_hour
    GROUP BY ALL
    HAVING sum(seconds) > 0
)

SELECT * FROM final ORDER BY local_date, local_hour
