-- Fleet up/down time per store-local date and hour, from the engine's interpolated status
-- spans: the same spans the drill-down draws and the report sums (follows
-- report/observations.part.sql and report/runs.part.sql), cut at every local hour boundary.
-- Business time without a known status (stores with no observation) is in neither sum.
-- Only these few hundred rows leave DuckDB: no span of any store is materialised outside
-- it (docs/PERFORMANCE.md: the fleet page at 140,000 stores).
--
-- No span is exploded into its hours: a span adds its partial first and last hours
-- directly, and its whole hours in between through a difference array (+1 at its first
-- whole hour, -1 after its last) whose running sum counts the spans covering each hour.
-- The stores counted: every store (a NULL list), or those of the given ids (one list
-- parameter: the dashboard's region/brand/timezone filter).
chosen AS (
    SELECT ?::VARCHAR[] AS ids
),

chosen_keys AS (
    SELECT k.store_key, k.store_id
    FROM stores AS k
    WHERE (SELECT ids IS NULL FROM chosen)
       OR k.store_id IN (SELECT unnest(ids) FROM chosen)
),

zoned_spans AS (
    SELECT s.is_active, s.start_us, s.end_us, coalesce(z.zone, 'America/Chicago') AS zone
    FROM spans AS s
    INNER JOIN chosen_keys AS k USING (store_key)
    LEFT JOIN store_zone(NULL) AS z USING (store_id)
),

stg_spans AS (
    SELECT
        is_active,
        timezone(zone, make_timestamptz(start_us)) AS start_local,
        timezone(zone, make_timestamptz(end_us)) AS end_local
    FROM zoned_spans
),

-- Materialised: every step below reads it, and the zone conversions run once per span.
local_spans AS MATERIALIZED (
    SELECT *
    FROM stg_spans
    -- a span across a DST fall-back can end "before" it starts in wall time; skip it
    WHERE end_local > start_local
),

bounded AS (
    SELECT
        is_active,
        start_local,
        end_local,
        date_trunc('hour', start_local) AS first_hour,
        date_trunc('hour', end_local)   AS last_hour
    FROM local_spans
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
