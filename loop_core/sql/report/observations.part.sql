-- Step 2, shared start of the report (report/report.part.sql) and of the status spans (report/spans.part.sql):
-- the polls and the observations with the share of time each owns, over the temp table
-- `business_window` that report/intervals.part.sql filled (observations.py runs both).
-- Both queries are this text followed by their own CTEs, so the dashboard's chart and the
-- CSV cannot disagree. Every business instant takes the status of the nearest observation:
-- observation i owns the time between the midpoints to its neighbours (right_mid is the
-- midpoint to the next one; the previous observation's right_mid starts its share).
--
-- Follows report/params.part.sql.
-- Scalar subqueries rather than a join with `bounds`: the filter then runs inside the scan
-- (faster; docs/PERFORMANCE.md), and on the bare timestamp it skips the row groups of
-- older history. Polls are read from the start of the range's first UTC day (cut_ts), or
-- from the end of the days read as observation_points (polls_ts), to now; what came
-- before is summarised in observation_days.
polls AS NOT MATERIALIZED (
    SELECT store_key, is_active, in_hours, epoch_us(timestamp_utc) AS t_us
    FROM store_status
    WHERE
        timestamp_utc <= (SELECT now_ts FROM bounds)
        AND timestamp_utc >= (SELECT polls_ts FROM bounds)
        AND store_key BETWEEN (SELECT lo_key FROM bounds) AND (SELECT hi_key FROM bounds)
    UNION ALL
    -- The days [cut_day, points_day) as their observation_points (migration 019; none
    -- unless use_points): each day's first and last observation and those next to one of
    -- the other status. What they leave out lies inside a run of one status between two
    -- kept observations of that status, so the status changes, their midpoints and each
    -- store's first and last status are those of all the observations. Only the queries
    -- that read nothing else of `sequenced` (the report, the fleet's hours) ask for them:
    -- not the timeline (it draws the polls), the incidents (they count observations) or
    -- the evidence (it reads each observation's neighbours).
    SELECT store_key, k % 2 = 1, true, k // 2
    FROM observation_points
    WHERE
        day >= (SELECT cut_day FROM bounds)
        AND day < (SELECT points_day FROM bounds)
        AND store_key BETWEEN (SELECT lo_key FROM bounds) AND (SELECT hi_key FROM bounds)
    UNION ALL
    -- What this range needs of the polls archived out of store_status, already cut to now
    -- and the store (archive.stage, called by observations.prepare; empty without archive).
    -- Rows before cut_ts only reach before_range, where a true observation changes nothing
    -- unless it is the last one before the range.
    SELECT store_key, is_active, in_hours, epoch_us(timestamp_utc) FROM archived_polls
),

intervals AS (
    SELECT * FROM business_window
),

-- Only polls inside business time are observations (a closed store's night polls are
-- not); ingest marked each poll when it was loaded (derived.py, derived/classify_polls.sql).
--
-- Of the observations up to the range start, only each store's last one can own time in
-- the range: an earlier one's share ends at the midpoint to a next one that is itself
-- before the range. It is the latest of the days' last observations before cut_day
-- (observation_days, kept at load time: migration 009, derived.py) and of the polls from
-- cut_ts to the range start. The two weeks before cut_day answer for almost every store;
-- older days are read only for the stores seen before them but not since (a long gap). A
-- store that has none (the usual case) reads nothing: the join below skips its scan when
-- `gapped` is empty. So the window and this step cost the same after a week of polls as
-- after a year.
recent_days AS (
    SELECT store_key, max(last_key) AS key
    FROM observation_days
    WHERE
        last_key IS NOT NULL  -- a day with polls but no observation (migration 015)
        AND day < (SELECT cut_day FROM bounds)
        AND day >= (SELECT recent_day FROM bounds)
        AND store_key BETWEEN (SELECT lo_key FROM bounds) AND (SELECT hi_key FROM bounds)
    GROUP BY store_key
),

gapped AS (
    SELECT store_key
    FROM stores
    WHERE
        first_observation_day < (SELECT recent_day FROM bounds)
        AND store_key BETWEEN (SELECT lo_key FROM bounds) AND (SELECT hi_key FROM bounds)
        AND store_key NOT IN (SELECT store_key FROM recent_days)
),

older_days AS (
    SELECT d.store_key, max(d.last_key) AS key
    FROM observation_days AS d
    SEMI JOIN gapped AS g USING (store_key)
    WHERE d.day < (SELECT recent_day FROM bounds) AND d.last_key IS NOT NULL
    GROUP BY d.store_key
),

before_range AS (
    SELECT
        store_key,
        -- key = t_us * 2 + is_active: at one instant the active poll sorts last (see the
        -- window below).
        max(key) % 2 = 1 AS is_active,
        max(key) // 2 AS t_us
    FROM (
        SELECT store_key, key FROM recent_days
        UNION ALL
        SELECT store_key, key FROM older_days
        UNION ALL
        SELECT store_key, t_us * 2 + is_active::BIGINT AS key
        FROM polls
        WHERE in_hours AND t_us <= (SELECT epoch_us(from_ts) FROM bounds)
    )
    GROUP BY store_key
),

observations AS (
    SELECT store_key, is_active, t_us
    FROM polls
    WHERE in_hours AND t_us > (SELECT epoch_us(from_ts) FROM bounds)
    UNION ALL
    SELECT store_key, is_active, t_us
    FROM before_range
),

sequenced AS (
    SELECT
        store_key,
        is_active,
        t_us,
        row_number() OVER w AS seq,
        lead(is_active) OVER w AS next_active,
        (t_us + lead(t_us) OVER w) // 2 AS right_mid,
        -- The share's start and the neighbours' instants, for evidence/evidence.part.sql
        -- (queries that do not read them do not compute them).
        (lag(t_us) OVER w + t_us) // 2 AS left_mid,
        lag(t_us) OVER w AS prev_t,
        lead(t_us) OVER w AS next_t
    FROM observations
    -- Ties at one instant: inactive sorts first, so each still owns half a gap.
    WINDOW w AS (PARTITION BY store_key ORDER BY t_us, is_active)
),

-- Business time inside the asked range [from, to) (the report's range is the week).
range_intervals AS (
    SELECT
        i.store_key,
        greatest(i.start_us, epoch_us(b.from_ts)) AS start_us,
        least(i.end_us, epoch_us(b.to_ts)) AS end_us
    FROM intervals AS i, bounds AS b
    WHERE i.end_us > epoch_us(b.from_ts) AND i.start_us < epoch_us(b.to_ts)
),

-- Business time of the report's three windows, per store (with from/to NULL, as in
-- report/report.part.sql and evidence/evidence.part.sql).
business AS (
    SELECT
        w.store_key,
        sum(w.end_us - w.start_us) AS week_biz,
        sum(greatest(0, w.end_us - greatest(w.start_us, b.day_us))) AS day_biz,
        sum(greatest(0, w.end_us - greatest(w.start_us, b.hour_us))) AS hour_biz
    FROM range_intervals AS w, bounds AS b
    GROUP BY w.store_key
),
