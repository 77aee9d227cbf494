-- The range every report and timeline query works on; the start of report/intervals.part.sql and of
-- report/observations.part.sql (observations.py puts it in front of both).
-- Parameters: as_of (NULL = latest poll), only_store (NULL = all), from, to (NULL = the
-- week before now, the report's range), use_points (whether the observations may come
-- from observation_points: true for the queries that read only the status changes and
-- each store's first and last status, report/observations.part.sql says which).
WITH params AS (
    SELECT
        coalesce(?::TIMESTAMPTZ, (SELECT max(timestamp_utc) FROM store_status)) AS now_ts,
        ?::VARCHAR AS only_store,
        ?::TIMESTAMPTZ AS from_arg,
        ?::TIMESTAMPTZ AS to_arg,
        ?::BOOLEAN AS use_points
),

resolved AS (
    SELECT
        now_ts,
        only_store,
        -- Filtering polls by integer key never reads the store_id text of millions of rows.
        (SELECT store_key FROM stores WHERE store_id = only_store) AS only_key,
        coalesce(from_arg, now_ts - INTERVAL 7 DAY) AS from_ts,
        coalesce(to_arg, now_ts) AS to_ts,
        coalesce(use_points, false) AS use_points,
        (SELECT max(timestamp_utc) FROM store_status) AS latest_ts,
        (SELECT max(last_poll) FROM archive_files) AS archived_ts
    FROM params
),

bounds AS (
    SELECT
        now_ts,
        only_store,
        only_key,
        -- The store filter as a range of keys (one key, or all of them; a NULL only_key
        -- keeps every store): a range is checked inside the scan of the polls, a coalesce()
        -- over the column is not, and one store's timeline then reads only its own polls.
        coalesce(only_key, -2147483647)::INTEGER AS lo_key,
        coalesce(only_key, 2147483647)::INTEGER AS hi_key,
        from_ts,
        to_ts,
        -- Observations before this UTC day come from observation_days (one row per store
        -- and day), later ones from the polls: the range's start, or now if earlier.
        -- INTEGER as observation_days.day, so the filter runs inside that table's scan.
        (least(epoch_us(from_ts), epoch_us(now_ts)) // 86400000000)::INTEGER AS cut_day,
        make_timestamptz(cut_day::BIGINT * 86400000000) AS cut_ts,
        -- The days before cut_day that are read for every store; older ones only for the
        -- stores without an observation in them (report/observations.part.sql).
        cut_day - 14 AS recent_day,
        -- Observations of the days [cut_day, points_day) come from observation_points:
        -- whole days before now's, and now's own when no stored poll comes after now (a
        -- day's points are those of all its polls). Not when archived polls reach the
        -- range (report/observations.part.sql reads them beside the polls) or not asked.
        CASE
            WHEN NOT use_points OR archived_ts >= cut_ts THEN cut_day
            WHEN now_ts >= latest_ts THEN (epoch_us(now_ts) // 86400000000 + 1)::INTEGER
            ELSE (epoch_us(now_ts) // 86400000000)::INTEGER
        END AS points_day,
        -- Polls are read from the end of those days (cut_ts when there are none).
        make_timestamptz(points_day::BIGINT * 86400000000) AS polls_ts,
        epoch_us(now_ts) AS now_us,
        epoch_us(now_ts) - 3600000000 AS hour_us,
        epoch_us(now_ts) - 86400000000 AS day_us,
        epoch_us(now_ts) - 604800000000 AS week_us
    FROM resolved
),

