-- The evidence behind each store's report figures (docs/RULES.md "Evidence"), per window
-- (last hour, day, week): the observations the interpolation used there, the latest
-- observation, and the poll coverage: the share of the window's business time within the
-- coverage radius r (90 minutes) before or after an observation.
-- Follows report/observations.part.sql (the report's own start, with from/to NULL: its
-- range_intervals are the week before now), so the observations, their shares (the
-- midpoints of `sequenced`) and the business time are exactly the report's. Extra
-- parameter after those: radius_us. The coverage ratio is computed here only (final).
--
-- Both figures use C(x) = business time in [week start, x), read with one ASOF join, and
-- only where needed (a week holds about 100 observations per store; C is read at a few):
-- - Observation i owns [m(i-1), m(i)). It is used in the window [w, now) when that share
--   holds business time there: C(m(i)) - max(C(m(i-1)), C(w)) > 0. An observation lies in
--   business time, so one with w <= t < now whose share reaches past t is used, and one
--   whose next observation comes no later than w is not; C is read only for the rest (the
--   last observation before each window's start, a share that ends at t: a tie, and t =
--   now).
-- - The covered time is the union of [t - r, t + r]: runs of observations less than 2r
--   apart each cover [first t - r, last t + r], disjoint from the other runs, so a window's
--   covered business time is the sum over runs of max(0, C(run end) - max(C(run start), C(w))).
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

-- Each observation with whether the window rules above settle its use without C (needs_c
-- false), and whether a run of observations starts or ends at it.
classified AS (
    SELECT
        n.*,
        n.t_us >= b.now_us
        OR coalesce(n.right_mid <= n.t_us, FALSE)
        OR (n.t_us < b.hour_us AND coalesce(n.next_t > b.hour_us, TRUE))
        OR (n.t_us < b.day_us AND coalesce(n.next_t > b.day_us, TRUE))
        OR (n.t_us < b.week_us AND coalesce(n.next_t > b.week_us, TRUE)) AS needs_c,
        coalesce(n.t_us - n.prev_t > 2 * p.radius_us, TRUE) AS run_starts,
        coalesce(n.next_t - n.t_us > 2 * p.radius_us, TRUE) AS run_ends
    FROM sequenced AS n, bounds AS b, evidence_params AS p
),

settled_use AS (
    SELECT
        c.store_key,
        count(*) FILTER (WHERE c.t_us >= b.hour_us) AS used_hour,
        count(*) FILTER (WHERE c.t_us >= b.day_us) AS used_day,
        count(*) FILTER (WHERE c.t_us >= b.week_us) AS used_week
    FROM classified AS c, bounds AS b
    WHERE NOT c.needs_c
    GROUP BY c.store_key
),

-- The observations where runs start or end; a start's run ends at itself or at the next
-- of these rows (no run starts before the current one ends).
boundaries AS (
    SELECT
        store_key,
        seq,
        t_us,
        run_starts,
        CASE WHEN run_ends THEN t_us ELSE lead(t_us) OVER w END AS run_last_t
    FROM classified
    WHERE run_starts OR run_ends
    WINDOW w AS (PARTITION BY store_key ORDER BY seq)
),

points AS (
    SELECT store_key, seq, 'share_start' AS kind, left_mid AS x FROM classified
    WHERE needs_c AND left_mid IS NOT NULL
    UNION ALL
    -- The last observation's share runs to now: C(now) is the week's business time.
    SELECT c.store_key, c.seq, 'share_end', coalesce(c.right_mid, b.now_us)
    FROM classified AS c, bounds AS b WHERE c.needs_c
    UNION ALL
    SELECT b.store_key, b.seq, 'run_start', b.t_us - p.radius_us
    FROM boundaries AS b, evidence_params AS p WHERE b.run_starts
    UNION ALL
    SELECT b.store_key, b.seq, 'run_end', b.run_last_t + p.radius_us
    FROM boundaries AS b, evidence_params AS p WHERE b.run_starts
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

-- Per observation that needs C, its share as C(m(i-1)) to C(m(i)) (no previous midpoint:
-- C = 0); per run, C at its ends.
measured AS (
    SELECT
        v.store_key,
        v.seq,
        bool_or(v.kind LIKE 'share%') AS is_share,
        coalesce(max(v.c_us) FILTER (WHERE v.kind = 'share_start'), 0) AS c_low,
        max(v.c_us) FILTER (WHERE v.kind = 'share_end') AS c_high,
        max(v.c_us) FILTER (WHERE v.kind = 'run_start') AS c_run_start,
        max(v.c_us) FILTER (WHERE v.kind = 'run_end') AS c_run_end,
        coalesce(any_value(w.week_biz - w.day_biz), 0) AS c_day,
        coalesce(any_value(w.week_biz - w.hour_biz), 0) AS c_hour
    FROM valued AS v
    LEFT JOIN business AS w USING (store_key)
    GROUP BY v.store_key, v.seq
),

measured_use_and_cover AS (
    SELECT
        store_key,
        count(*) FILTER (WHERE is_share AND c_high > greatest(c_low, c_hour)) AS used_hour,
        count(*) FILTER (WHERE is_share AND c_high > greatest(c_low, c_day)) AS used_day,
        count(*) FILTER (WHERE is_share AND c_high > c_low) AS used_week,
        coalesce(sum(greatest(0, c_run_end - greatest(c_run_start, c_hour))), 0)
            AS covered_hour,
        coalesce(sum(greatest(0, c_run_end - greatest(c_run_start, c_day))), 0) AS covered_day,
        coalesce(sum(greatest(0, c_run_end - c_run_start)), 0) AS covered_week
    FROM measured
    GROUP BY store_key
),

-- The latest observation at or before now: each store's last in sequence (at one instant
-- the active one sorts last, as in the report), from any time before now.
latest AS (
    SELECT store_key, t_us AS latest_us, is_active AS latest_active
    FROM classified
    WHERE next_t IS NULL
),

figures AS (
    SELECT
        s.store_id,
        (coalesce(d.used_hour, 0) + coalesce(u.used_hour, 0))::BIGINT AS observations_last_hour,
        (coalesce(d.used_day, 0) + coalesce(u.used_day, 0))::BIGINT AS observations_last_day,
        (coalesce(d.used_week, 0) + coalesce(u.used_week, 0))::BIGINT AS observations_last_week,
        make_timestamptz(l.latest_us) AS latest_observation_at,
        l.latest_active AS latest_observation_active,
        coalesce(u.covered_hour, 0)::BIGINT AS covered_hour_us,
        coalesce(u.covered_day, 0)::BIGINT AS covered_day_us,
        coalesce(u.covered_week, 0)::BIGINT AS covered_week_us,
        coalesce(b.hour_biz, 0)::BIGINT AS business_hour_us,
        coalesce(b.day_biz, 0)::BIGINT AS business_day_us,
        coalesce(b.week_biz, 0)::BIGINT AS business_week_us
    FROM evidence_stores AS s
    LEFT JOIN settled_use AS d USING (store_key)
    LEFT JOIN measured_use_and_cover AS u USING (store_key)
    LEFT JOIN latest AS l USING (store_key)
    LEFT JOIN business AS b USING (store_key)
),

-- The poll coverage of each window (macro coverage_share): the one place it is computed.
final AS (
    SELECT
        *,
        coverage_share(covered_hour_us, business_hour_us) AS coverage_last_hour,
        coverage_share(covered_day_us, business_day_us) AS coverage_last_day,
        coverage_share(covered_week_us, business_week_us) AS coverage_last_week
    FROM figures
)

SELECT * FROM final ORDER BY store_id
