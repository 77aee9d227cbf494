-- The uptime report in exact microseconds: one row per store with a poll at or before now.
-- Follows report/observations.part.sql (the shared start; see report.py), always with from/to NULL, so
-- its range_intervals are the week before now.
--
-- How it stays fast and exact: with C(x) = business time in [week start, x), the uptime
-- in a window starting at w is  sum over active i of  clamp(C(right_mid)) - clamp(C(left_mid)),
-- clamp(v) = max(v, C(w)). Neighbouring observations with the same status cancel, so only
-- the midpoints where the status CHANGES need C: a handful per store instead of every poll.
-- downtime = business time - uptime, which makes uptime + downtime = business time exact.

-- Stores with a poll at or before now (from the stores table: no second pass over polls).
polled_stores AS (
    SELECT k.store_key
    FROM stores AS k, bounds AS b
    WHERE k.first_poll <= b.now_ts
),

-- Observations whose share ends before the week starts cannot count in any window.
relevant AS (
    SELECT q.*
    FROM sequenced AS q, bounds AS b
    WHERE q.right_mid IS NULL OR q.right_mid > b.week_us
),

store_ends AS (
    SELECT
        store_key,
        arg_min(is_active, seq)::INTEGER AS first_active,
        arg_max(is_active, seq)::INTEGER AS last_active
    FROM relevant
    GROUP BY store_key
),

transitions AS (
    SELECT store_key, right_mid AS mid_us, is_active::INTEGER - next_active::INTEGER AS sign
    FROM relevant
    WHERE next_active <> is_active
),

-- C(mid) for every status change: business time in [week start, mid).
valued AS (
    SELECT
        t.store_key,
        t.sign,
        t.mid_us,
        coalesce(sum(greatest(0, least(t.mid_us, w.end_us) - w.start_us)), 0) AS c_mid
    FROM transitions AS t
    LEFT JOIN range_intervals AS w ON t.store_key = w.store_key AND w.start_us < t.mid_us
    GROUP BY t.store_key, t.sign, t.mid_us
),

offsets AS (
    -- C(window start) for the day and hour windows; 0 for the week.
    SELECT
        store_key,
        week_biz,
        day_biz,
        hour_biz,
        week_biz - day_biz AS c_day,
        week_biz - hour_biz AS c_hour
    FROM business
),

changes AS (
    SELECT
        v.store_key,
        sum(v.sign * v.c_mid) AS week_sum,
        sum(v.sign * greatest(v.c_mid, o.c_day)) AS day_sum,
        sum(v.sign * greatest(v.c_mid, o.c_hour)) AS hour_sum
    FROM valued AS v
    INNER JOIN offsets AS o USING (store_key)
    GROUP BY v.store_key
),

uptime AS (
    SELECT
        e.store_key,
        coalesce(o.week_biz, 0) AS week_biz,
        coalesce(o.day_biz, 0) AS day_biz,
        coalesce(o.hour_biz, 0) AS hour_biz,
        coalesce(c.week_sum, 0) + e.last_active * coalesce(o.week_biz, 0) AS up_week,
        coalesce(c.day_sum, 0) + e.last_active * coalesce(o.week_biz, 0)
        - e.first_active * coalesce(o.c_day, 0) AS up_day,
        coalesce(c.hour_sum, 0) + e.last_active * coalesce(o.week_biz, 0)
        - e.first_active * coalesce(o.c_hour, 0) AS up_hour
    FROM store_ends AS e
    LEFT JOIN offsets AS o USING (store_key)
    LEFT JOIN changes AS c USING (store_key)
),

final AS (
    SELECT
        k.store_id,
        coalesce(u.up_hour, 0)::BIGINT AS up_hour_us,
        coalesce(u.up_day, 0)::BIGINT AS up_day_us,
        coalesce(u.up_week, 0)::BIGINT AS up_week_us,
        coalesce(u.hour_biz - u.up_hour, 0)::BIGINT AS down_hour_us,
        coalesce(u.day_biz - u.up_day, 0)::BIGINT AS down_day_us,
        coalesce(u.week_biz - u.up_week, 0)::BIGINT AS down_week_us,
        u.store_key IS NOT NULL AS has_observations
    FROM polled_stores AS s
    INNER JOIN stores AS k USING (store_key)
    LEFT JOIN uptime AS u USING (store_key)
)

SELECT * FROM final ORDER BY store_id
