-- The observation_days rows (migrations 009, 015) of a set of polls, one per store and UTC
-- day: its last poll, last observation, last observation of the other status and the first
-- observation of its last run (keys epoch_us * 2 + is_active). The shared tail of
-- derived/summarise_days.sql and derived/summarise_load.sql; follows their CTE
-- `day_polls` (store_key, day, k, in_hours) and ends with the CTE `day_rows`, which also
-- carries `first_key`, the day's first observation (summarise_load's merge needs it).
day_tops AS (
    SELECT
        store_key,
        day,
        max(k) AS last_poll_key,
        max(k) FILTER (WHERE in_hours AND k % 2 = 1) AS last_on,
        max(k) FILTER (WHERE in_hours AND k % 2 = 0) AS last_off,
        min(k) FILTER (WHERE in_hours) AS first_key
    FROM day_polls
    GROUP BY store_key, day
),

day_other AS (
    SELECT
        store_key,
        day,
        last_poll_key,
        first_key,
        greatest(last_on, last_off) AS last_key,
        -- Both statuses seen: the earlier of the two last ones is the other status's.
        CASE WHEN last_on IS NOT NULL AND last_off IS NOT NULL THEN least(last_on, last_off) END
            AS other_key
    FROM day_tops
),

-- The days with both statuses need their polls again: the first observation after other_key.
day_runs AS (
    SELECT o.store_key, o.day, min(p.k) AS after_other
    FROM day_other AS o
    INNER JOIN day_polls AS p
        ON p.store_key = o.store_key AND p.day = o.day AND p.in_hours AND p.k > o.other_key
    WHERE o.other_key IS NOT NULL
    GROUP BY o.store_key, o.day
),

day_rows AS (
    SELECT
        o.store_key,
        o.day,
        o.last_poll_key,
        o.last_key,
        o.other_key,
        coalesce(r.after_other, o.first_key) AS run_key,
        o.first_key
    FROM day_other AS o
    LEFT JOIN day_runs AS r USING (store_key, day)
),
