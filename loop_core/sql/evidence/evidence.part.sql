-- The evidence behind each store's report figures (docs/RULES.md "Evidence"), per window
-- (last hour, day, week): the observations the interpolation used there, the latest
-- observation, and the poll coverage: the share of the window's business time within the
-- coverage radius (90 minutes) before or after an observation.
-- Follows report/observations.part.sql (the report's own start, with from/to NULL: its
-- range_intervals are the week before now), so the observations and business time are
-- exactly the report's. Extra parameter after those: radius_us.
--
-- Both figures come from C(x) = business time in [week start, x), read at a few instants
-- per observation with one ASOF join (no join of every observation with every interval):
-- - observation i owns [m(i-1), m(i)) (the report's midpoints, `sequenced.right_mid`); it
--   is used in a window starting at w when C(m(i)) - max(C(m(i-1)), C(w)) > 0;
-- - the covered time is the union of [t - r, t + r] over the observations; in time order,
--   observation i adds [max(t(i) - r, t(i-1) + r), t(i) + r), disjoint from the pieces
--   before it, so a window's covered business time is the sum of
--   max(0, C(t(i) + r) - max(C(max(t(i) - r, t(i-1) + r)), C(w))).
-- The week's first sequenced observation is the last one at or before the week's start
-- (`before_range`): the only earlier observation that can own or cover time in the week.

evidence_params AS (
    SELECT ?::BIGINT AS radius_us
),

-- Stores with a poll at or before now, as in the report (one store when it is asked for).
evidence_stores AS (
    SELECT k.store_key, k.store_id
    FROM stores AS k, bounds AS b
    WHERE
        k.first_poll <= b.now_ts
        AND k.store_key BETWEEN b.lo_key AND b.hi_key
        -- An unknown store id leaves only_key NULL, which keeps every key: match the id too.
        AND (b.only_store IS NULL OR k.store_id = b.only_store)
),

-- Business time of each window; C(w) of the day and hour windows' starts.
window_business AS (
    SELECT
        w.store_key,
        sum(w.end_us - w.start_us) AS week_biz,
        sum(greatest(0, w.end_us - greatest(w.start_us, b.day_us))) AS day_biz,
        sum(greatest(0, w.end_us - greatest(w.start_us, b.hour_us))) AS hour_biz
    FROM range_intervals AS w, bounds AS b
    GROUP BY w.store_key
),

-- Each interval with the business time of the week before it: C at its start.
cumulative AS (
    SELECT
        store_key,
        start_us,
        end_us,
        coalesce(sum(end_us - start_us) OVER (
            PARTITION BY store_key ORDER BY start_us
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ), 0) AS before_us
    FROM range_intervals
),

-- The instants each observation needs C at: its share's end (right_mid; NULL for the
-- last: the end of the week) and the ends of the covered piece it adds.
instants AS (
    SELECT
        q.store_key,
        q.seq,
        q.right_mid,
        greatest(q.t_us - p.radius_us, lag(q.t_us) OVER w + p.radius_us) AS piece_start,
        q.t_us + p.radius_us AS piece_end
    FROM sequenced AS q, evidence_params AS p
    WINDOW w AS (PARTITION BY q.store_key ORDER BY q.seq)
),

points AS (
    SELECT store_key, seq, 'mid' AS kind, right_mid AS x FROM instants
    WHERE right_mid IS NOT NULL
    UNION ALL
    SELECT store_key, seq, 'piece_start', piece_start FROM instants
    UNION ALL
    SELECT store_key, seq, 'piece_end', piece_end FROM instants
),

-- C(x): the business time before the last interval starting at or before x, plus the part
-- of that interval before x (0 when no interval starts before x).
valued AS (
    SELECT
        p.store_key,
        p.seq,
        p.kind,
        coalesce(c.before_us + least(p.x - c.start_us, c.end_us - c.start_us), 0) AS c_us
    FROM points AS p
    ASOF LEFT JOIN cumulative AS c ON p.store_key = c.store_key AND p.x >= c.start_us
),

per_observation AS (
    SELECT
        store_key,
        seq,
        max(c_us) FILTER (WHERE kind = 'mid') AS c_mid,
        max(c_us) FILTER (WHERE kind = 'piece_start') AS c_piece_start,
        max(c_us) FILTER (WHERE kind = 'piece_end') AS c_piece_end
    FROM valued
    GROUP BY store_key, seq
),

-- The share of observation i runs from C(m(i-1)) to C(m(i)): 0 before the first, the
-- week's business time after the last.
shares AS (
    SELECT
        o.store_key,
        coalesce(lag(o.c_mid) OVER w, 0) AS c_low,
        coalesce(o.c_mid, coalesce(b.week_biz, 0)) AS c_high,
        o.c_piece_start,
        o.c_piece_end,
        coalesce(b.week_biz - b.day_biz, 0) AS c_day,
        coalesce(b.week_biz - b.hour_biz, 0) AS c_hour
    FROM per_observation AS o
    LEFT JOIN window_business AS b USING (store_key)
    WINDOW w AS (PARTITION BY o.store_key ORDER BY o.seq)
),

used_and_covered AS (
    SELECT
        store_key,
        count(*) FILTER (WHERE c_high > greatest(c_low, c_hour)) AS used_hour,
        count(*) FILTER (WHERE c_high > greatest(c_low, c_day)) AS used_day,
        count(*) FILTER (WHERE c_high > c_low) AS used_week,
        sum(greatest(0, c_piece_end - greatest(c_piece_start, c_hour))) AS covered_hour,
        sum(greatest(0, c_piece_end - greatest(c_piece_start, c_day))) AS covered_day,
        sum(greatest(0, c_piece_end - c_piece_start)) AS covered_week
    FROM shares
    GROUP BY store_key
),

-- The latest observation at or before now (at one instant the active one sorts last, as in
-- the report); the week's first sequenced one is the latest from any earlier time.
latest AS (
    SELECT
        store_key,
        max(t_us) AS latest_us,
        arg_max(is_active, seq) AS latest_active
    FROM sequenced
    GROUP BY store_key
),

final AS (
    SELECT
        s.store_id,
        coalesce(u.used_hour, 0)::BIGINT AS observations_last_hour,
        coalesce(u.used_day, 0)::BIGINT AS observations_last_day,
        coalesce(u.used_week, 0)::BIGINT AS observations_last_week,
        make_timestamptz(l.latest_us) AS latest_observation_at,
        l.latest_active AS latest_observation_active,
        coalesce(u.covered_hour, 0)::BIGINT AS covered_hour_us,
        coalesce(u.covered_day, 0)::BIGINT AS covered_day_us,
        coalesce(u.covered_week, 0)::BIGINT AS covered_week_us,
        coalesce(b.hour_biz, 0)::BIGINT AS business_hour_us,
        coalesce(b.day_biz, 0)::BIGINT AS business_day_us,
        coalesce(b.week_biz, 0)::BIGINT AS business_week_us
    FROM evidence_stores AS s
    LEFT JOIN used_and_covered AS u USING (store_key)
    LEFT JOIN latest AS l USING (store_key)
    LEFT JOIN window_business AS b USING (store_key)
)

SELECT * FROM final ORDER BY store_id
