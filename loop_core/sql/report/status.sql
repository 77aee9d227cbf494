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
        epoch_us(at_ts) + 8 * 86400000000 AS hi_us
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

polls AS (
    SELECT store_key, is_active, in_hours, epoch_us(timestamp_utc) * 2 + is_active::BIGINT AS k
    FROM store_status
    WHERE timestamp_utc <= (SELECT at_ts FROM params)
    UNION ALL
    -- What status at T needs of the archived polls (archive.stage; empty without archive).
    SELECT store_key, is_active, in_hours, epoch_us(timestamp_utc) * 2 + is_active::BIGINT
    FROM archived_polls
),

latest_poll AS (
    SELECT store_key, max(k) AS k FROM polls GROUP BY store_key
),

latest_obs AS (
    SELECT store_key, max(k) AS k FROM polls WHERE in_hours GROUP BY store_key
),

-- The last observation of the other status than the latest one.
opposite AS (
    SELECT p.store_key, max(p.k) AS k
    FROM polls AS p
    INNER JOIN latest_obs AS o USING (store_key)
    WHERE p.in_hours AND (p.k % 2) <> (o.k % 2)
    GROUP BY p.store_key
),

-- The first observation of the current run.
run_first AS (
    SELECT p.store_key, min(p.k) AS k
    FROM polls AS p
    INNER JOIN latest_obs AS o USING (store_key)
    LEFT JOIN opposite AS op USING (store_key)
    WHERE p.in_hours AND (op.k IS NULL OR p.k > op.k)
    GROUP BY p.store_key
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
