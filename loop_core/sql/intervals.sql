-- Step 1 of the shared start of the report and of the timeline (see observations.py):
-- the merged business intervals covering every poll and the asked range, kept in the temp
-- table `business_window`. Materialising them gives the planner exact sizes, so the big
-- join in observations.sql builds its hash table on the intervals, not on the polls.
-- Parameters: as_of (NULL = latest poll), only_store (NULL = all), from, to.
WITH params AS (
    SELECT
        coalesce(?::TIMESTAMPTZ, (SELECT max(timestamp_utc) FROM store_status)) AS now_ts,
        ?::VARCHAR AS only_store,
        ?::TIMESTAMPTZ AS from_arg,
        ?::TIMESTAMPTZ AS to_arg
),

bounds AS (
    SELECT
        now_ts,
        only_store,
        -- Filtering polls by integer key never reads the store_id text of millions of rows.
        (SELECT store_key FROM stores WHERE store_id = only_store) AS only_key,
        coalesce(from_arg, now_ts - INTERVAL 7 DAY) AS from_ts,
        coalesce(to_arg, now_ts) AS to_ts,
        epoch_us(now_ts) AS now_us,
        epoch_us(now_ts) - 3600000000 AS hour_us,
        epoch_us(now_ts) - 86400000000 AS day_us,
        epoch_us(now_ts) - 604800000000 AS week_us
    FROM params
)

SELECT *
-- Cover every poll (any observation may be the nearest) and the whole asked range.
FROM business_intervals(
    least((SELECT min(first_poll) FROM stores), (SELECT from_ts FROM bounds)),
    (SELECT greatest(now_ts, to_ts) FROM bounds),
    (SELECT only_store FROM bounds)
)
