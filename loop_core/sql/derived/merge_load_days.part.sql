range AS (
    SELECT min(day) AS lo, max(day) AS hi FROM day_rows
),

stored AS (
    SELECT *
    FROM observation_days
    WHERE day >= (SELECT lo FROM range) AND day <= (SELECT hi FROM range)
),

-- The stored observations s, then the load's a: the other status is the one a did not end
-- with; the last run began in a if a saw both statuses or s ended with the other one.
merged AS (
    SELECT
        a.store_key,
        a.day,
        greatest(a.last_poll_key, s.last_poll_key) AS last_poll_key,
        coalesce(a.first_key <= s.last_key, false) AS interleaved,
        a.last_key IS NULL AS a_none,
        s.last_key IS NULL AS s_none,
        CASE WHEN s.last_key % 2 <> a.last_key % 2 THEN s.last_key ELSE s.other_key END
            AS s_other,
        a.last_key AS a_last,
        a.other_key AS a_other,
        a.run_key AS a_run,
        s.last_key AS s_last,
        s.other_key AS s_other_key,
        s.run_key AS s_run
    FROM day_rows AS a
    LEFT JOIN stored AS s USING (store_key, day)
),

final AS (
    SELECT
        store_key,
        day,
        last_poll_key,
        CASE WHEN a_none THEN s_last ELSE a_last END AS last_key,
        CASE
            WHEN a_none THEN s_other_key
            WHEN s_none THEN a_other
            ELSE coalesce(a_other, s_other)
        END AS other_key,
        CASE
            WHEN a_none THEN s_run
            WHEN s_none OR a_other IS NOT NULL THEN a_run
            WHEN s_other IS NULL OR s_last % 2 = a_last % 2 THEN s_run
            ELSE a_run
        END AS run_key,
        interleaved
    FROM merged
)

SELECT * FROM final
