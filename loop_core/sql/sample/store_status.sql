-- store_status.csv of the synthetic feed: store_id, status, timestamp_utc.
--
-- Parameters: $seed, $stores, $start_us (window start, epoch microseconds UTC),
-- $uuid_style. Reads temp table sample_slots(r), holding 0 .. stores * hours - 1
-- (see sample/slots.sql); r enumerates (hour slot t, store s) pairs.
--
-- Each store is polled about once an hour: hour slot t of the window gets one poll at
-- the store's own minute of the hour (its phase) plus a few minutes of jitter, so polls
-- are irregular but stay inside their slot and keep their order.
--
-- No join and no ORDER BY on purpose: a scan of one table with projections and filters
-- keeps its row order under COPY (DuckDB's documented order preservation), so the file
-- is byte-identical whatever the thread count, without sorting ~27M rows; and a table
-- (unlike range()) is scanned by all threads. Rows come slot by slot (roughly in time
-- order, as the real feed is), stores within a slot in index order.
WITH slots AS (
    SELECT
        r % $stores AS s,
        r // $stores AS t,
        -- The absolute hour (since 1970) of slot t: every random choice below is drawn
        -- from it, so a store's poll in a given hour is the same whatever window is
        -- written. The demo feed (bootstrap.advance_demo) relies on it: a window one hour
        -- later repeats every earlier poll exactly and adds one new hour.
        r // $stores + $start_us // 3600000000 AS ta
    FROM sample_slots
),
draws AS (
    SELECT
        s,
        t,
        ta,
        smp_h($seed, s, 'store') AS hs,                 -- per store: phase, flakiness
        smp_u($seed, s, 'kind') AS u_kind,
        smp_h($seed, s, 'id') AS h_id,
        CASE WHEN $uuid_style THEN smp_h($seed, s, 'id2') END AS h_id2,
        smp_h2($seed, s, ta, 'poll') AS hp,              -- per poll: jitter, loss, blips
        smp_h2($seed, s, ta // 24, 'outage') AS ho_today,
        smp_h2($seed, s, ta // 24 - 1, 'outage') AS ho_yesterday,
        smp_h2($seed, s, ta // 24, 'gap') AS hg
    FROM slots
),
polls AS (
    SELECT
        s,
        t,
        ta,
        u_kind,
        h_id,
        h_id2,
        -- Phase 5..55 min into the hour, jitter +-5 min: always inside slot t.
        $start_us + t * 3600000000
            + 300000000 + ((hs >> 24) % 3000000000)::BIGINT
            + ((hp >> 20) % 600000000)::BIGINT - 300000000 AS ts_us,
        -- Reliability tiers: 6% of stores are flaky (an outage most days, up to 10 h),
        -- 34% reliable (an outage on 4% of days, rare blips), the rest see an outage of
        -- 1-6 h on 30% of days; with 0.5% dead stores, ~95% of polls end up active.
        CASE WHEN hs % 1000 < 60 THEN 900 WHEN hs % 1000 < 400 THEN 40 ELSE 300 END
            AS outage_per_mille,
        CASE WHEN hs % 1000 < 60 THEN 10 ELSE 6 END AS outage_max_len,
        (hs >> 10) % 1000 < 5 AS dead,                -- closed for good: never active
        -- A lone inactive poll.
        (hp >> 10) % 1000 < CASE WHEN hs % 1000 BETWEEN 60 AND 399 THEN 2 ELSE 10 END AS blip,
        -- 2.5% of polls lost, plus a 1-4 h gap on 4% of store-days.
        hp % 1000 < 25 OR smp_run_covers(hg, ta // 24, ta, 40, 4) AS missing,
        ho_today,
        ho_yesterday
    FROM draws
)
SELECT
    smp_id_of(h_id, h_id2, $uuid_style) AS store_id,
    CASE
        WHEN dead OR blip
            OR smp_run_covers(ho_today, ta // 24, ta, outage_per_mille, outage_max_len)
            OR smp_run_covers(ho_yesterday, ta // 24 - 1, ta, outage_per_mille, outage_max_len)
        THEN 'inactive'
        ELSE 'active'
    END AS status,
    -- The real feed's BigQuery style: "2023-01-22 12:09:39.388884 UTC", trailing zeros
    -- of the fraction dropped ("...:49.46544 UTC"), which is what a cast to text does.
    make_timestamp(ts_us)::VARCHAR || ' UTC' AS timestamp_utc
FROM polls
WHERE NOT missing
    -- 'outside' stores (open 10:00-14:00 local) are only polled outside those hours,
    -- with a 5 minute margin. A CASE, because it evaluates the (costly) zone conversion
    -- for those stores' rows only; NOT (a AND b) gets rewritten and converts every row.
    AND CASE
        WHEN smp_is_outside(u_kind)
        THEN timezone(smp_zone($seed, s), make_timestamp(ts_us)::TIMESTAMPTZ)::TIME
            NOT BETWEEN TIME '09:55:00' AND TIME '14:05:00'
        ELSE true
    END
