-- The observation_points rows (migration 019) of a set of polls: per store and UTC day, the
-- day's first and last observation and every observation next to one of the other status
-- (keys epoch_us * 2 + is_active, in the report's window order). The shared tail of
-- derived/summarise_days.sql (the touched pairs, from their polls) and of
-- derived/load_points.sql (a load's pairs, from their stored points and the load's polls);
-- follows their CTE `day_polls` (store_key, day, k, in_hours).
point_neighbours AS (
    SELECT
        store_key,
        day,
        k,
        lag(k) OVER w AS prev_k,
        lead(k) OVER w AS next_k
    FROM day_polls
    WHERE in_hours
    WINDOW w AS (PARTITION BY store_key, day ORDER BY k)
),

final AS (
    SELECT store_key, day, k
    FROM point_neighbours
    WHERE
        prev_k IS NULL
        OR next_k IS NULL
        OR prev_k % 2 <> k % 2
        OR next_k % 2 <> k % 2
)

SELECT * FROM final
