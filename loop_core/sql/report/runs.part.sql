-- The stretches of time each status owns and their business-time pieces: the part the
-- timeline's spans (report/spans.part.sql) and the incidents (report/incidents.part.sql)
-- share, so a chart's red bars and the incidents list are the same time. Follows
-- report/observations.part.sql. A run of observations with one status is one stretch.
-- Spans stop at now: later status is unknown.

shown AS (
    SELECT epoch_us(from_ts) AS from_us, epoch_us(least(to_ts, now_ts)) AS to_us,
           epoch_us(to_ts) AS range_end_us
    FROM bounds
),

-- A run of observations with one status owns one stretch of time: from the midpoint where
-- the status became this one to the midpoint where it changed again.
change_points AS (
    SELECT store_key, -9223372036854775807 AS at_us, is_active AS becomes
    FROM sequenced
    WHERE seq = 1
    UNION ALL
    SELECT store_key, right_mid AS at_us, next_active AS becomes
    FROM sequenced
    WHERE next_active <> is_active
),

runs AS (
    SELECT
        store_key,
        becomes AS is_active,
        at_us AS own_start,
        coalesce(
            lead(at_us) OVER (PARTITION BY store_key ORDER BY at_us), 9223372036854775807
        ) AS own_end
    FROM change_points
),

spans AS (
    SELECT
        b.store_key,
        greatest(b.start_us, r.own_start) AS start_us,
        least(b.end_us, r.own_end, s.to_us) AS end_us,
        r.is_active,
        r.own_start  -- the run's: the status page counts a day's incidents by it
    FROM range_intervals AS b
    INNER JOIN runs AS r
        ON b.store_key = r.store_key AND r.own_start < b.end_us AND r.own_end > b.start_us,
        shown AS s
    WHERE greatest(b.start_us, r.own_start) < least(b.end_us, r.own_end, s.to_us)
),

