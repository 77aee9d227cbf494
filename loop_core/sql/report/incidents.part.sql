-- The incidents (SPEC "Incidents") over [from, to): each run of consecutive inactive
-- observations that owns business time in the range, with its pieces from the same runs
-- and spans as the timeline (follows report/observations.part.sql and report/runs.part.sql),
-- so the downtime of a window's incidents is that window's downtime in the report.
-- started_at: its first business instant in the range; ended_at: the end of its last
-- business-time piece in the range, NULL while no active observation has followed it
-- (ongoing); inactive_observations: those it holds from the range's start on (and the
-- last one before the start, when that belongs to it).

incident_runs AS (
    SELECT store_key, own_start, own_end
    FROM runs
    WHERE NOT is_active
),

pieces AS (
    SELECT r.store_key, r.own_start, r.own_end, s.start_us, s.end_us
    FROM incident_runs AS r
    INNER JOIN spans AS s
        ON s.store_key = r.store_key
        AND NOT s.is_active
        AND s.start_us >= r.own_start
        AND s.end_us <= r.own_end
),

counted AS (
    SELECT r.store_key, r.own_start, count(*) AS inactive_observations
    FROM incident_runs AS r
    INNER JOIN sequenced AS o
        ON o.store_key = r.store_key
        AND NOT o.is_active
        AND o.t_us > r.own_start
        -- <=: an inactive poll tied with an active one at t owns the time up to t.
        AND o.t_us <= r.own_end
    GROUP BY r.store_key, r.own_start
),

incidents AS (
    SELECT
        p.store_key,
        p.own_start,
        min(p.start_us) AS start_us,
        -- An incident with no following active observation runs on: no end yet.
        CASE WHEN any_value(p.own_end) < 9223372036854775807 THEN max(p.end_us) END AS end_us,
        sum(p.end_us - p.start_us) AS downtime_us
    FROM pieces AS p
    GROUP BY p.store_key, p.own_start
),

final AS (
    SELECT
        k.store_id,
        spreadsheet_safe(k.store_id) AS csv_store_id,  -- the id as a cell of a CSV file
        make_timestamptz(i.start_us) AS started_at,
        make_timestamptz(i.end_us) AS ended_at,
        i.downtime_us,
        coalesce(c.inactive_observations, 0) AS inactive_observations
    FROM incidents AS i
    INNER JOIN stores AS k USING (store_key)
    LEFT JOIN counted AS c USING (store_key, own_start)
)

SELECT * FROM final ORDER BY store_id, started_at
