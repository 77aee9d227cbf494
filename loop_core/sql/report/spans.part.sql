-- What the timeline draws, from the same observations as the report (follows
-- report/observations.part.sql): business intervals, polls, and the up/down spans over [from, to).
-- Extra parameter after those of report/observations.part.sql: with_polls (the fleet view skips them).
-- Output rows: kind ('business' | 'span' | 'poll'), store, start/end (UTC and the store's
-- local wall time), is_active, in_hours. Spans stop at now: later status is unknown.

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
        r.is_active
    FROM range_intervals AS b
    INNER JOIN runs AS r
        ON b.store_key = r.store_key AND r.own_start < b.end_us AND r.own_end > b.start_us,
        shown AS s
    WHERE greatest(b.start_us, r.own_start) < least(b.end_us, r.own_end, s.to_us)
),

shown_polls AS (
    SELECT p.store_key, p.t_us, p.is_active, p.in_hours
    FROM polls AS p
    CROSS JOIN shown AS s
    -- Inclusive at the end: the latest poll (which defines now) is shown.
    WHERE p.t_us >= s.from_us AND p.t_us <= s.range_end_us AND ?::BOOLEAN
),

all_rows AS (
    SELECT 'business' AS kind, store_key, start_us, end_us, NULL::BOOLEAN AS is_active,
           NULL::BOOLEAN AS in_hours
    FROM range_intervals
    UNION ALL
    SELECT 'span', store_key, start_us, end_us, is_active, NULL FROM spans
    UNION ALL
    SELECT DISTINCT 'poll', store_key, t_us, t_us, is_active, in_hours FROM shown_polls
),

final AS (
    SELECT
        a.kind,
        k.store_id,
        make_timestamptz(a.start_us) AS start_utc,
        make_timestamptz(a.end_us) AS end_utc,
        timezone(coalesce(z.zone, 'America/Chicago'), make_timestamptz(a.start_us)) AS start_local,
        timezone(coalesce(z.zone, 'America/Chicago'), make_timestamptz(a.end_us)) AS end_local,
        a.is_active,
        a.in_hours
    FROM all_rows AS a
    INNER JOIN stores AS k USING (store_key)
    LEFT JOIN store_zone((SELECT only_store FROM bounds)) AS z USING (store_id)
)

SELECT * FROM final ORDER BY store_id, kind, start_utc
