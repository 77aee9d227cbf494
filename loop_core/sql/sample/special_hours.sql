-- special_hours.csv of the synthetic feed (optional: the benchmark's special-hours case):
-- store_id, date, start_time_local, end_time_local. A share $share of the stores gets
-- three special dates among the seven dates before $end_date: a closed day (no times), a
-- shortened day (10:00-14:00) and an overnight evening (18:00-02:00); the others none.
--
-- Parameters: $seed, $stores, $uuid_style, $share, $end_date.
WITH chosen AS (
    SELECT s
    FROM range($stores) AS t(s)
    WHERE smp_u($seed, s, 'special') < $share
),

-- Offsets b, b + 2, b + 4 (mod 7) are three different dates of the week.
placed AS (
    SELECT
        c.s,
        k.k,
        $end_date::DATE - 1 - CAST((smp_h($seed, c.s, 'special_day') + 2 * k.k) % 7 AS INTEGER)
            AS local_date
    FROM chosen AS c
    CROSS JOIN range(3) AS k(k)
)

SELECT
    smp_store_id($seed, s, $uuid_style) AS store_id,
    strftime(local_date, '%Y-%m-%d') AS date,
    CASE k WHEN 1 THEN '10:00:00' WHEN 2 THEN '18:00:00' END AS start_time_local,
    CASE k WHEN 1 THEN '14:00:00' WHEN 2 THEN '02:00:00' END AS end_time_local
FROM placed
ORDER BY smp_h($seed, s, 'special_order'), s, k
