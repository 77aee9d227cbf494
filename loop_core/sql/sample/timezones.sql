-- timezones.csv of the synthetic feed: store_id, timezone_str.
--
-- Parameters: $seed, $stores, $uuid_style. Stores whose cell is NULL get no row at all
-- (the engine then defaults them to America/Chicago).
SELECT
    smp_store_id($seed, s, $uuid_style) AS store_id,
    smp_zone_cell($seed, s) AS timezone_str
FROM range($stores) AS t(s)
WHERE smp_zone_cell($seed, s) IS NOT NULL
-- Shuffled like the real file; `s` breaks (astronomically unlikely) hash ties.
ORDER BY smp_h($seed, s, 'tz_order'), s
