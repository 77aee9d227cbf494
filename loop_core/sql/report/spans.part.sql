-- What the timeline draws, from the same observations as the report (follows
-- report/observations.part.sql and report/runs.part.sql): business intervals, polls, and the
-- up/down spans over [from, to).
-- Extra parameter after those of report/observations.part.sql: with_polls (the fleet view skips them).
-- Output rows: kind ('business' | 'span' | 'poll'), store, start/end (UTC and the store's
-- local wall time), is_active, in_hours.

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
