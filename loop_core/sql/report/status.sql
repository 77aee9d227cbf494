-- Status now (SPEC "Status now"): one row per store with a poll at or before the instant
-- T, from the polls' in_hours flags and the business intervals around T.
--   closed  : T is outside business time; since = the end of its last business interval
--   unknown : no observation, or the latest is more than 2 hours before T; since = its time
--   offline / online : the latest observation is inactive / active; since = the first
--             business instant of the current run (from the midpoint after the last
--             observation of the other status), or the store's first observation when
--             the run began with it.
-- Observations are ordered by (time, inactive first), as in the report: key = t * 2 + active.
-- Business intervals come from a window of WINDOW_DAYS around T (closes_at, opens_at and
-- the closed stores' since lie there, else they are empty); a run that began before the
-- window finds its first business instant in intervals of its own days only.
-- Parameters: T (NULL = the latest poll).
WITH params AS (
    SELECT coalesce(?::TIMESTAMPTZ, (SELECT max(timestamp_utc) FROM store_status)) AS at_ts
),

bounds AS (
    SELECT
        epoch_us(at_ts) AS at_us,
        epoch_us(at_ts) - 8 * 86400000000 AS lo_us,
        epoch_us(at_ts) + 8 * 86400000000 AS hi_us,
        -- Polls of T's UTC day are read as they are; days before it from observation_days.
        -- INTEGER as observation_days.day, so the filter runs inside that table's scan.
        (epoch_us(at_ts) // 86400000000)::INTEGER AS cut_day,
        make_timestamptz(cut_day::BIGINT * 86400000000) AS cut_ts,
        cut_day - 14 AS recent_day,
        -- Days up to the last archived poll's: archived polls may share them, so their live
        -- polls (loaded after the archive was written) are read one by one, not as days.
        -- (0 without archive: polls are never older than 2000.)
        coalesce(
            (SELECT max(epoch_us(last_poll)) // 86400000000 + 1 FROM archive_files), 0
        )::INTEGER AS archive_day
    FROM params
),

window_intervals AS (
    SELECT *
    FROM business_intervals(
        (SELECT make_timestamptz(lo_us) FROM bounds),
        (SELECT make_timestamptz(hi_us) FROM bounds),
        NULL
    )
),

-- What status needs of each store's polls up to T, as segments: rows of observation_days
-- (derived/day_rows.part.sql: a day's last poll, last observation, last observation of the
-- other status and the first observation of its last run) for the days before T's UTC
-- day, and each poll of T's day up to T as a segment of one poll, with what status at T
-- needs of the archived polls (archive.stage; empty without archive). Only the two weeks of days before T's day are read for every
-- store; older days only for the stores that have no observation of the other status
-- than their latest one in them (their current run may have begun earlier), and were
-- polled before them. The answer is the same as over every poll: the latest poll and
-- observation are maxima, the other status's last observation too, and the first
-- observation after it lies in the segment that holds it or is a later segment's first.
-- Segments overlap in time only where each is a single poll: days that archived polls
-- may share (before archive_day) are read as polls. live: newer than every day left
-- unread; archived polls and the polls among them can be older.
day_polls AS (
    SELECT
        store_key, epoch_us(timestamp_utc) * 2 + is_active::BIGINT AS k, in_hours, true AS live
    FROM store_status
    WHERE
        timestamp_utc <= (SELECT at_ts FROM params)
        AND timestamp_utc >= (SELECT cut_ts FROM bounds)
    UNION ALL
    SELECT store_key, epoch_us(timestamp_utc) * 2 + is_active::BIGINT, in_hours, false
    FROM archived_polls
    UNION ALL
    SELECT store_key, epoch_us(timestamp_utc) * 2 + is_active::BIGINT, in_hours, false
    FROM store_status
    WHERE
        timestamp_utc < make_timestamptz((SELECT archive_day FROM bounds)::BIGINT * 86400000000)
        AND timestamp_utc < (SELECT cut_ts FROM bounds)
        AND timestamp_utc <= (SELECT at_ts FROM params)
),

recent AS MATERIALIZED (
    SELECT
        store_key,
        k AS last_poll_key,
        CASE WHEN in_hours THEN k END AS last_key,
        NULL::BIGINT AS other_key,
        CASE WHEN in_hours THEN k END AS run_key,
        live
    FROM day_polls
    UNION ALL
    SELECT store_key, last_poll_key, last_key, other_key, run_key, true
    FROM observation_days
    WHERE
        day < (SELECT cut_day FROM bounds)
        AND day >= (SELECT recent_day FROM bounds)
        AND day >= (SELECT archive_day FROM bounds)
),

recent_obs AS (
    SELECT store_key, max(last_key) AS k FROM recent GROUP BY store_key
),

-- The stores whose current run is known to begin in the recent live segments: one of them
-- holds an observation of the other status than the latest one, and every unread day
-- comes before it.
settled AS (
    SELECT DISTINCT r.store_key
    FROM recent AS r
    INNER JOIN recent_obs AS o USING (store_key)
    WHERE
        r.live
        AND CASE WHEN r.last_key % 2 <> o.k % 2 THEN r.last_key ELSE r.other_key END IS NOT NULL
),

older AS (
    SELECT d.store_key, d.last_poll_key, d.last_key, d.other_key, d.run_key, true AS live
    FROM observation_days AS d
    SEMI JOIN (
        SELECT store_key
        FROM stores
        WHERE
            first_poll < make_timestamptz((SELECT recent_day FROM bounds)::BIGINT * 86400000000)
            AND store_key NOT IN (SELECT store_key FROM settled)
    ) AS u USING (store_key)
    WHERE d.day < (SELECT recent_day FROM bounds) AND d.day >= (SELECT archive_day FROM bounds)
),

segments AS MATERIALIZED (
    SELECT * FROM recent
    UNION ALL
    SELECT * FROM older
),

latest_poll AS (
    SELECT store_key, max(last_poll_key) AS k FROM segments GROUP BY store_key
),

latest_obs AS (
    SELECT store_key, max(last_key) AS k FROM segments WHERE last_key IS NOT NULL GROUP BY store_key
),

-- The last observation of the other status than the latest one.
opposite AS (
    SELECT
        s.store_key,
        max(CASE WHEN s.last_key % 2 <> o.k % 2 THEN s.last_key ELSE s.other_key END) AS k
    FROM segments AS s
    INNER JOIN latest_obs AS o USING (store_key)
    GROUP BY s.store_key
    HAVING k IS NOT NULL
),

-- The first observation of the current run: a segment ending after the other status's last
-- observation holds it as its run_key (or holds that observation, then its run_key follows it).
run_first AS (
    SELECT s.store_key, min(s.run_key) AS k
    FROM segments AS s
    INNER JOIN latest_obs AS o USING (store_key)
    LEFT JOIN opposite AS op USING (store_key)
    WHERE s.last_key IS NOT NULL AND (op.k IS NULL OR s.last_key > op.k)
    GROUP BY s.store_key
),

runs AS (
    SELECT
        o.store_key,
        op.k IS NULL AS began_with_first,
        f.k // 2 AS first_us,
        -- Floored midpoint, as the report's ownership (k // 2 is the poll's time).
        CASE WHEN op.k IS NULL THEN f.k // 2 ELSE (op.k // 2 + f.k // 2) // 2 END AS raw_us
    FROM latest_obs AS o
    INNER JOIN run_first AS f USING (store_key)
    LEFT JOIN opposite AS op USING (store_key)
),

-- Runs that began before the window: intervals of the days from their start to their first
-- observation (which is in business time), two days of margin each side.
early AS (
    SELECT r.store_key, r.raw_us, r.first_us, k.hours_hash
    FROM runs AS r
    INNER JOIN stores AS k USING (store_key)
    WHERE NOT r.began_with_first AND r.raw_us < (SELECT lo_us FROM bounds)
),

early_wanted AS (
    SELECT
        (SELECT list(DISTINCT DATE '1970-01-01' + CAST(d AS INTEGER))
         FROM early AS e,
              unnest(generate_series(e.raw_us // 86400000000 - 2,
                                     e.first_us // 86400000000 + 2)) AS g(d)) AS dates,
        (SELECT list(DISTINCT hours_hash) FROM early) AS hashes
),

early_intervals AS (
    SELECT k.store_key, g.start_us, g.end_us
    FROM group_intervals_on(
        (SELECT dates FROM early_wanted), (SELECT coalesce(hashes, []) FROM early_wanted)
    ) AS g
    INNER JOIN stores AS k USING (hours_hash)
    WHERE k.store_key IN (SELECT store_key FROM early)
),

intervals AS (
    SELECT store_key, start_us, end_us FROM window_intervals
    UNION ALL
    SELECT store_key, start_us, end_us FROM early_intervals
),

now_facts AS (
    SELECT
        p.store_key,
        max(i.end_us) FILTER (WHERE i.start_us <= b.at_us AND b.at_us < i.end_us) AS current_end,
        min(i.start_us) FILTER (WHERE i.start_us > b.at_us) AS next_start,
        max(i.end_us) FILTER (WHERE i.end_us <= b.at_us) AS last_end
    FROM latest_poll AS p
    CROSS JOIN bounds AS b
    LEFT JOIN window_intervals AS i USING (store_key)
    GROUP BY p.store_key
),

run_since AS (
    SELECT
        r.store_key,
        CASE
            WHEN r.began_with_first THEN r.raw_us
            ELSE min(greatest(i.start_us, r.raw_us)) FILTER (WHERE i.end_us > r.raw_us)
        END AS since_us
    FROM runs AS r
    LEFT JOIN intervals AS i USING (store_key)
    GROUP BY r.store_key, r.began_with_first, r.raw_us
),

classified AS (
    SELECT
        p.store_key,
        p.k AS poll_k,
        o.k AS obs_k,
        n.current_end,
        n.next_start,
        n.last_end,
        CASE
            WHEN n.current_end IS NULL THEN 'closed'
            WHEN o.k IS NULL OR b.at_us - o.k // 2 > 7200000000 THEN 'unknown'
            WHEN o.k % 2 = 0 THEN 'offline'
            ELSE 'online'
        END AS status,
        s.since_us
    FROM latest_poll AS p
    CROSS JOIN bounds AS b
    LEFT JOIN latest_obs AS o USING (store_key)
    LEFT JOIN now_facts AS n USING (store_key)
    LEFT JOIN run_since AS s USING (store_key)
),

final AS (
    SELECT
        k.store_id,
        spreadsheet_safe(k.store_id) AS csv_store_id,  -- the id as a cell of a CSV file
        c.status,
        make_timestamptz(CASE c.status
            -- An end before the window is not known exactly: empty.
            WHEN 'closed' THEN CASE WHEN c.last_end > b.lo_us THEN c.last_end END
            WHEN 'unknown' THEN c.obs_k // 2
            ELSE c.since_us
        END) AS since,
        make_timestamptz(c.poll_k // 2) AS latest_poll,
        c.poll_k % 2 = 1 AS latest_poll_active,
        make_timestamptz(c.obs_k // 2) AS latest_observation,
        c.obs_k % 2 = 1 AS latest_observation_active,
        c.current_end IS NOT NULL AS open_now,
        -- Beyond the window (open 24x7, or closed for a week): empty.
        make_timestamptz(CASE WHEN c.current_end < b.hi_us THEN c.current_end END) AS closes_at,
        make_timestamptz(CASE WHEN c.next_start < b.hi_us THEN c.next_start END) AS opens_at,
        coalesce(z.zone, 'America/Chicago') AS zone
    FROM classified AS c
    CROSS JOIN bounds AS b
    INNER JOIN stores AS k USING (store_key)
    LEFT JOIN store_zone(NULL) AS z USING (store_id)
)

SELECT * FROM final ORDER BY store_id
