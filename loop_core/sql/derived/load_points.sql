-- The observation_points rows (migration 019) of the (store, day) pairs one load added
-- polls to, when the load's observations all come after the stored ones (the temp table
-- `summarised` of derived.summarise_load holds those pairs): the points of the stored
-- points and the load's observations together are the points of all the day's
-- observations, since what a day's points leave out lies inside a run of one status
-- between two kept observations of that status. The pairs in the temp table
-- `touched_days` are recomputed from their polls afterwards (derived.summarise_days).
-- Parameter: load_id.
WITH range AS (
    SELECT min(day) AS lo, max(day) AS hi FROM summarised
),

stored AS (
    SELECT p.store_key, p.day, p.k, true AS in_hours
    FROM observation_points AS p
    SEMI JOIN summarised AS s USING (store_key, day)
    WHERE p.day >= (SELECT lo FROM range) AND p.day <= (SELECT hi FROM range)
),

loaded AS (
    SELECT
        store_key,
        (epoch_us(timestamp_utc) // 86400000000)::INTEGER AS day,
        epoch_us(timestamp_utc) * 2 + is_active::BIGINT AS k,
        true AS in_hours
    FROM store_status
    WHERE load_id = ? AND in_hours
),

day_polls AS (
    SELECT * FROM stored
    UNION ALL
    SELECT l.*
    FROM loaded AS l
    ANTI JOIN touched_days AS t USING (store_key, day)
),
