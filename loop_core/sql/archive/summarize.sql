-- The few polls per store that stand for all of the temp table `archived_polls` in every
-- later figure (migration 010, archive.py): its last poll, its last observation of each
-- status, and the first observation of its last run (the observations after the last one
-- of the other status). The report needs only each store's last observation before its
-- range; status needs the latest poll and observation, the last observation of the other
-- status and the first of the current run, and these are among the rows kept. Polls are
-- ordered as everywhere: by time, inactive first (key = t * 2 + active).
-- Rows: store_key, hours_hash (the store's current one), is_active, in_hours, timestamp_utc.
WITH polls AS (
    SELECT DISTINCT
        store_key, in_hours, epoch_us(timestamp_utc) * 2 + is_active::BIGINT AS k
    FROM archived_polls
),

last_poll AS (
    SELECT store_key, max(k) AS k FROM polls GROUP BY store_key
),

-- The last observation of each status.
last_of_status AS (
    SELECT store_key, k % 2 AS active, max(k) AS k
    FROM polls
    WHERE in_hours
    GROUP BY store_key, k % 2
),

latest_obs AS (
    SELECT store_key, max(k) AS k FROM last_of_status GROUP BY store_key
),

opposite AS (
    SELECT o.store_key, s.k
    FROM latest_obs AS o
    INNER JOIN last_of_status AS s ON s.store_key = o.store_key AND s.active <> o.k % 2
),

run_first AS (
    SELECT p.store_key, min(p.k) AS k
    FROM polls AS p
    LEFT JOIN opposite AS op USING (store_key)
    WHERE p.in_hours AND (op.k IS NULL OR p.k > op.k)
    GROUP BY p.store_key
),

kept AS (
    SELECT store_key, k FROM last_poll
    UNION
    SELECT store_key, k FROM last_of_status
    UNION
    SELECT store_key, k FROM run_first
),

final AS (
    SELECT DISTINCT
        p.store_key,
        s.hours_hash,
        p.k % 2 = 1 AS is_active,
        p.in_hours,
        make_timestamptz(p.k // 2) AS timestamp_utc
    FROM kept
    INNER JOIN polls AS p USING (store_key, k)
    INNER JOIN stores AS s USING (store_key)
)

SELECT * FROM final
