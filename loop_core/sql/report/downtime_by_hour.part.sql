-- Fleet up/down time per store-local date and hour, from the engine's interpolated status
-- spans: the same spans the drill-down draws and the report sums (follows
-- report/observations.part.sql and report/runs.part.sql), cut at every local hour boundary.
-- Business time without a known status (stores with no observation) is in neither sum.
-- Only these few hundred rows leave DuckDB: no span of any store is materialised outside
-- it (docs/PERFORMANCE.md: the fleet page at 140,000 stores).
--
-- Exact in real time: spans stay in UTC microseconds and are cut at the UTC instants where
-- each zone's local hours start, so every microsecond of a span is counted once, in the
-- local hour it falls in. A DST fall-back's repeated hour is two such UTC hours with one
-- label, and gets both; a spring-forward's missing hour has none. Summed, the cells give
-- the report's figures for the same window and stores.
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

-- Materialised: the hour grid and both cuts below read it.
zoned_spans AS MATERIALIZED (
    SELECT s.is_active, s.start_us, s.end_us, coalesce(z.zone, 'America/Chicago') AS zone
    FROM spans AS s
    INNER JOIN chosen_keys AS k USING (store_key)
    LEFT JOIN store_zone(NULL) AS z USING (store_id)
),

-- Every UTC quarter hour from a day before the first span to a day after the last: a
-- zone's UTC offset is a whole number of quarter hours, so each local hour starts at one.
quarters AS (
    SELECT unnest(generate_series(
        (SELECT (min(start_us) // 900000000 - 96) * 900000000 FROM zoned_spans),
        (SELECT (max(end_us) // 900000000 + 96) * 900000000 FROM zoned_spans),
        900000000
    )) AS at_us
),

hour_starts AS (
    SELECT z.zone, q.at_us, timezone(z.zone, make_timestamptz(q.at_us)) AS wall
    FROM (SELECT DISTINCT zone FROM zoned_spans) AS z, quarters AS q
),

-- Each zone's local hours as UTC intervals, numbered in order (k), labelled with their
-- local wall hour (a repeated hour's two intervals share a label).
local_hours AS (
    SELECT
        zone,
        at_us AS start_us,
        lead(at_us) OVER (PARTITION BY zone ORDER BY at_us) - at_us AS length_us,
        row_number() OVER (PARTITION BY zone ORDER BY at_us) AS k,
        wall AS label
    FROM hour_starts
    WHERE minute(wall) = 0
),

-- The local hour each span starts in, then the one it ends in.
first_cut AS (
    SELECT s.*, h.k AS first_k, h.start_us + h.length_us AS first_end
    FROM zoned_spans AS s
    ASOF INNER JOIN local_hours AS h ON s.zone = h.zone AND s.start_us >= h.start_us
),

cut AS (
    SELECT s.*, h.k AS last_k, h.start_us AS last_start
    FROM first_cut AS s
    ASOF INNER JOIN local_hours AS h ON s.zone = h.zone AND s.end_us >= h.start_us
),

-- Microseconds that fall in a span's first and last (partial) hours.
partials AS (
    SELECT zone, is_active, first_k AS k, end_us - start_us AS us
    FROM cut WHERE first_k = last_k
    UNION ALL
    SELECT zone, is_active, first_k, first_end - start_us
    FROM cut WHERE first_k < last_k
    UNION ALL
    SELECT zone, is_active, last_k, end_us - last_start
    FROM cut WHERE first_k < last_k AND end_us > last_start
),

-- Whole hours strictly between the first and the last: [first_k + 1, last_k).
whole_edges AS (
    SELECT zone, is_active, first_k + 1 AS k, 1 AS delta
    FROM cut WHERE last_k > first_k + 1
    UNION ALL
    SELECT zone, is_active, last_k, -1
    FROM cut WHERE last_k > first_k + 1
),

statuses AS (
    SELECT true AS is_active UNION ALL SELECT false
),

grid AS (
    SELECT h.zone, h.k, h.length_us, h.label, s.is_active
    FROM local_hours AS h, statuses AS s
),

per_hour AS (
    SELECT
        g.label,
        g.is_active,
        coalesce(p.us, 0)
        + g.length_us * sum(coalesce(w.delta, 0)) OVER (
            PARTITION BY g.zone, g.is_active ORDER BY g.k ROWS UNBOUNDED PRECEDING
        ) AS us
    FROM grid AS g
    LEFT JOIN (
        SELECT zone, is_active, k, sum(us) AS us FROM partials GROUP BY ALL
    ) AS p USING (zone, is_active, k)
    LEFT JOIN (
        SELECT zone, is_active, k, sum(delta) AS delta FROM whole_edges GROUP BY ALL
    ) AS w USING (zone, is_active, k)
),

final AS (
    SELECT
        CAST(label AS DATE)                                        AS local_date,
        CAST(isodow(label) - 1 AS INTEGER)                         AS day_of_week,
        CAST(hour(label) AS INTEGER)                               AS local_hour,
        coalesce(sum(us) FILTER (WHERE is_active), 0) / 3600000000.0     AS up_h,
        coalesce(sum(us) FILTER (WHERE NOT is_active), 0) / 3600000000.0 AS down_h
    FROM per_hour
    GROUP BY ALL
    HAVING sum(us) > 0
)

SELECT * FROM final ORDER BY local_date, local_hour
