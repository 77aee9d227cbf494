-- menu_hours.csv of the synthetic feed: store_id, <day column>, start_time_local, end_time_local.
--
-- Parameters: $seed, $stores, $uuid_style. The day column's name ("day" in the v1 feed,
-- "dayOfWeek" in v2) is an identifier, so sample.py fills {day_column} with a quoted
-- name from a fixed pair; nothing else is formatted into this text.
--
-- One row of `grid` per (store, weekday, interval slot 0-3): a single range() keeps
-- the query small and cheap; rows whose slot is unused get a NULL start and are dropped.
WITH grid AS (
    SELECT
        r // 28 AS s,
        (r // 4) % 7 AS d,
        r % 4 AS k
    FROM range($stores * 28) AS t(r)
),
store_day AS (
    SELECT
        s, d, k,
        smp_kind($seed, s) AS kind,
        -- A store with rows for some weekdays only is closed on the others; its
        -- anchor weekday always stays open so that it keeps at least one row.
        (smp_u($seed, s, 'partial') < 0.05
            AND smp_kind($seed, s) NOT IN ('none', 'outside')) AS partial_week,
        smp_h($seed, s, 'anchor') % 7 AS anchor
    FROM grid
),
open_days AS (
    SELECT
        *,
        NOT (partial_week AND d <> anchor AND smp_u2($seed, s, d, 'closed') < 0.45) AS open_today,
        -- The overnight shift of the day before spills into this weekday's first hours.
        NOT (partial_week AND (d + 6) % 7 <> anchor
            AND smp_u2($seed, s, (d + 6) % 7, 'closed') < 0.45) AS open_yesterday
    FROM store_day
),
intervals AS (
    SELECT
        s, d, k,
        CASE
            WHEN kind = 'allday' AND k = 0 AND open_today THEN ['00:00:00',
                smp_pick(smp_h($seed, s, 'allday'), ['23:59:00', '23:59:59'])]
            WHEN kind = 'regular' AND k = 0 AND open_today THEN [
                smp_pick(smp_h($seed, s, 'open'),
                    ['06:00:00', '06:30:00', '07:00:00', '10:00:00',
                     '10:30:00', '10:45:00', '11:00:00', '11:00:00']),
                -- Some stores close later on Friday and Saturday.
                ['20:00:00', '20:30:00', '21:00:00', '21:30:00', '22:00:00', '22:30:00',
                 '23:00:00', '23:30:00', '23:59:00', '23:59:59'][least(10,
                    1 + (smp_h($seed, s, 'close') % 10)::BIGINT
                    + CASE WHEN d IN (4, 5) AND smp_u($seed, s, 'late_weekend') < 0.3
                        THEN 2 ELSE 0 END)]]
            WHEN kind = 'split' AND k = 0 AND open_today THEN [
                smp_pick(smp_h($seed, s, 'lunch_open'), ['10:30:00', '11:00:00', '11:30:00']),
                smp_pick(smp_h($seed, s, 'lunch_close'), ['14:00:00', '14:30:00', '15:00:00'])]
            WHEN kind = 'split' AND k = 1 AND open_today THEN [
                smp_pick(smp_h($seed, s, 'dinner_open'), ['17:00:00', '17:30:00', '18:00:00']),
                smp_pick(smp_h($seed, s, 'dinner_close'),
                    ['21:00:00', '22:00:00', '22:30:00', '23:00:00'])]
            WHEN kind = 'quad' AND open_today THEN
                [['06:30:00', '10:19:00'], ['11:00:00', '14:00:00'],
                 ['17:00:00', '20:00:00'], ['20:30:00', '23:30:00']][k + 1]
            WHEN kind = 'overnight' AND k = 0 AND open_yesterday THEN ['00:00:00',
                smp_pick(smp_h($seed, s, 'late'), ['01:00:00', '02:00:00', '02:00:00', '03:00:00'])]
            WHEN kind = 'overnight' AND k = 1 AND open_today THEN [
                smp_pick(smp_h($seed, s, 'evening'),
                    ['17:00:00', '18:00:00', '18:00:00', '19:00:00']),
                smp_pick(smp_h($seed, s, 'midnight'), ['23:59:00', '23:59:00', '23:59:59'])]
            WHEN kind = 'outside' AND k = 0 THEN ['10:00:00', '14:00:00']
        END AS span
    FROM open_days
)
SELECT
    smp_store_id($seed, s, $uuid_style) AS store_id,
    d AS {day_column},
    span[1] AS start_time_local,
    span[2] AS end_time_local
FROM intervals
WHERE span IS NOT NULL
-- Stores in a shuffled order and weekdays shuffled within a store, like the real files;
-- the trailing plain keys make the order total, so the bytes never depend on threads.
ORDER BY smp_h($seed, s, 'order'), s, smp_h2($seed, s, d, 'day_order'), d, k
