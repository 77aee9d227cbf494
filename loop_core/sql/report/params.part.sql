-- The range every report and timeline query works on; the start of report/intervals.part.sql and of
-- report/observations.part.sql (observations.py puts it in front of both).
-- Parameters: as_of (NULL = latest poll), only_store (NULL = all), from, to (NULL = the
-- week before now, the report's range).
WITH params AS (
    SELECT
        coalesce(?::TIMESTAMPTZ, (SELECT max(timestamp_utc) FROM store_status)) AS now_ts,
        ?::VARCHAR AS only_store,
        ?::TIMESTAMPTZ AS from_arg,
        ?::TIMESTAMPTZ AS to_arg
),

resolved AS (
    SELECT
        now_ts,
        only_store,
        -- Filtering polls by integer key never reads the store_id text of millions of rows.
        (SELECT store_key FROM stores WHERE store_id = only_store) AS only_key,
        coalesce(from_arg, now_ts - INTERVAL 7 DAY) AS from_ts,
        coalesce(to_arg, now_ts) AS to_ts
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
        epoch_us(now_ts) AS now_us,
        epoch_us(now_ts) - 3600000000 AS hour_us,
        epoch_us(now_ts) - 86400000000 AS day_us,
        epoch_us(now_ts) - 604800000000 AS week_us
    FROM resolved
),

