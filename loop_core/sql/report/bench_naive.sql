-- The straightforward way to compute the report, kept only as the benchmark's baseline
-- (python -m loop_core bench): a range (ASOF) join classifies every poll, every
-- observation's share of time is cut against every business interval, once per window.
-- Same rules, so it must produce the same figures; no shortcut over status changes.
WITH params AS (
    SELECT max(timestamp_utc) AS now_ts FROM store_status
),

windows AS (
    SELECT name, epoch_us(now_ts) - span_us AS from_us, epoch_us(now_ts) AS to_us
    FROM params,
        (VALUES ('hour', 3600000000), ('day', 86400000000), ('week', 604800000000)) AS w (name, span_us)
),

intervals AS (
    SELECT k.store_id, i.start_us, i.end_us
    FROM business_intervals(
        (SELECT min(first_poll) FROM stores) - INTERVAL 8 DAY,
        (SELECT now_ts FROM params),
        NULL
    ) AS i
    INNER JOIN stores AS k USING (store_key)
),

-- Polls are stored by integer store key (migration 004); the id comes from `stores`.
polls AS (
    SELECT k.store_id, s.is_active, epoch_us(s.timestamp_utc) AS t_us
    FROM store_status AS s
    INNER JOIN stores AS k USING (store_key), params AS p
    WHERE s.timestamp_utc <= p.now_ts
),

observations AS (
    SELECT p.*
    FROM polls AS p
    ASOF INNER JOIN intervals AS i ON p.store_id = i.store_id AND p.t_us >= i.start_us
    WHERE p.t_us < i.end_us
),

shares AS (
    SELECT
        store_id,
        is_active,
        coalesce((lag(t_us) OVER w + t_us) // 2, -9223372036854775807) AS own_from,
        coalesce((t_us + lead(t_us) OVER w) // 2, 9223372036854775807) AS own_to
    FROM observations
    WINDOW w AS (PARTITION BY store_id ORDER BY t_us, is_active)
),

pieces AS (
    SELECT
        s.store_id,
        w.name,
        s.is_active,
        least(s.own_to, i.end_us, w.to_us) - greatest(s.own_from, i.start_us, w.from_us) AS us
    FROM shares AS s
    INNER JOIN intervals AS i
        ON s.store_id = i.store_id AND s.own_from < i.end_us AND s.own_to > i.start_us
    CROSS JOIN windows AS w
    WHERE least(s.own_to, i.end_us, w.to_us) > greatest(s.own_from, i.start_us, w.from_us)
),

final AS (
    SELECT
        k.store_id,
        coalesce(sum(us) FILTER (WHERE name = 'hour' AND is_active), 0) AS up_hour_us,
        coalesce(sum(us) FILTER (WHERE name = 'day' AND is_active), 0) AS up_day_us,
        coalesce(sum(us) FILTER (WHERE name = 'week' AND is_active), 0) AS up_week_us,
        coalesce(sum(us) FILTER (WHERE name = 'hour' AND NOT is_active), 0) AS down_hour_us,
        coalesce(sum(us) FILTER (WHERE name = 'day' AND NOT is_active), 0) AS down_day_us,
        coalesce(sum(us) FILTER (WHERE name = 'week' AND NOT is_active), 0) AS down_week_us
    FROM stores AS k
    LEFT JOIN pieces AS p USING (store_id)
    WHERE k.first_poll <= (SELECT now_ts FROM params)
    GROUP BY k.store_id
)

SELECT * FROM final ORDER BY store_id
