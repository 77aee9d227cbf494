-- Shared definitions, (re)created on every open: the report and the store timeline both
-- build business time from `business_intervals`, so the chart and the CSV cannot disagree.

-- The zone each store's wall times are read in: its own if it is a valid IANA name, else
-- America/Chicago (SPEC "Defaults"). `timezone()` raises on an unknown name, so names are
-- checked first against known_zones (IANA names DuckDB knows; built by db.install_macros).
CREATE OR REPLACE MACRO store_zone(only_store) AS TABLE
WITH given AS (
    SELECT store_id, timezone_str
    FROM timezones
    WHERE only_store IS NULL OR store_id = only_store
),

valid AS (
    SELECT name FROM known_zones
),

final AS (
    SELECT
        g.store_id,
        g.timezone_str AS zone_given,
        coalesce(v.name, 'America/Chicago') AS zone,
        v.name IS NULL AS zone_invalid
    FROM given AS g
    LEFT JOIN valid AS v ON g.timezone_str = v.name
)

SELECT * FROM final;

-- Each store's effective hours as one content hash: the zone actually used (after the
-- America/Chicago fallback), its set of hours rows (none = open 24x7) and its set of
-- special-hours rows (SPEC "Special hours"; none adds nothing, so the hash of a store
-- without special dates is what it was before that feed existed). The 14,000 stores of
-- the real feed share about 3,300 of them, so business time is computed once per hash
-- (group_intervals), and a snapshot load only reclassifies the polls of stores whose
-- hash changed. Special dates are part of the pattern: two stores share cached intervals
-- only when their special dates agree too (a chain-wide holiday keeps them shared). Rows
-- are hashed as text and summed as exact 128-bit integers, so their order does not matter;
-- the sum goes into the final hash as text too, because DuckDB's hash() of a number maps
-- 0, and a 128-bit -1, to 0 (a test caught Monday 00:00-00:00 hashing like "no rows").
-- Two different hours sets sharing a 64-bit hash: ~1e-11 at 30,000 sets.
CREATE OR REPLACE MACRO hours_row_hash(day_of_week, start_time_local, end_time_local) AS
    hash(day_of_week::VARCHAR || ' ' || start_time_local::VARCHAR || '-' || end_time_local::VARCHAR);

CREATE OR REPLACE MACRO special_row_hash(local_date, start_time_local, end_time_local) AS
    hash('special ' || local_date::VARCHAR || ' '
         || coalesce(start_time_local::VARCHAR || '-' || end_time_local::VARCHAR, 'closed'));

CREATE OR REPLACE MACRO hours_hash_value(zone, rows_sum, special_sum := NULL) AS
    hash(zone || '|' || coalesce(rows_sum::VARCHAR, 'open 24x7')
         || coalesce('|special ' || special_sum::VARCHAR, ''));

-- The hash of every store id named by the snapshots (an id in neither has the value
-- hours_hash_value('America/Chicago', NULL)).
CREATE OR REPLACE MACRO snapshot_hours_hashes() AS TABLE
WITH ids AS (
    SELECT store_id FROM timezones
    UNION
    SELECT store_id FROM business_hours
    UNION
    SELECT store_id FROM special_hours
),

zoned AS (
    SELECT i.store_id, coalesce(z.zone, 'America/Chicago') AS zone
    FROM ids AS i
    LEFT JOIN store_zone(NULL) AS z USING (store_id)
),

row_sums AS (
    SELECT
        store_id,
        sum(hours_row_hash(day_of_week, start_time_local, end_time_local)::HUGEINT) AS rows_sum
    FROM business_hours
    GROUP BY store_id
),

special_sums AS (
    SELECT
        store_id,
        sum(special_row_hash(local_date, start_time_local, end_time_local)::HUGEINT)
            AS special_sum
    FROM special_hours
    GROUP BY store_id
),

final AS (
    SELECT z.store_id, hours_hash_value(z.zone, r.rows_sum, s.special_sum) AS hours_hash
    FROM zoned AS z
    LEFT JOIN row_sums AS r USING (store_id)
    LEFT JOIN special_sums AS s USING (store_id)
)

SELECT * FROM final;

-- The hash every polled store should have now.
CREATE OR REPLACE MACRO hours_hashes() AS TABLE
SELECT
    k.store_key,
    coalesce(h.hours_hash, hours_hash_value('America/Chicago', NULL)) AS hours_hash
FROM stores AS k
LEFT JOIN snapshot_hours_hashes() AS h USING (store_id);

-- Where a business-hours row that starts on local_date ends, in local wall time (SPEC
-- "Business time"). The one place these rules are written: the report, the timeline and
-- the drill-down's hours table (report/weekly_hours.sql) all go through it.
CREATE OR REPLACE MACRO hours_row_end(local_date, start_time_local, end_time_local) AS
    CASE
        -- 23:59 or later means "until midnight": 18:00-23:59 + 00:00-02:00 leaves no gap.
        WHEN end_time_local >= TIME '23:59:00' THEN (local_date + 1)::TIMESTAMP
        -- end <= start runs overnight; end == start is therefore 24 hours.
        WHEN end_time_local <= start_time_local THEN (local_date + 1) + end_time_local
        ELSE local_date + end_time_local
    END;

-- Merged business intervals in UTC (epoch microseconds, half-open) per hours hash (see
-- hours_hashes; stores.hours_hash must be current) of the intervals that start on the
-- given local dates: exact over every UTC day d whose local dates d-2 .. d+2 are all
-- given (no UTC offset or overnight row reaches further). only_hashes (or NULL for all)
-- limits it to those hashes. Dates may be sparse: the cost follows the dates asked for,
-- never the span between them (derived.py classifies old polls this way).
-- Special hours (SPEC): on a local date with special rows for the store, those rows alone
-- start intervals (a closed row starts none) and its weekly rows are skipped that date;
-- an interval that started the day before still runs into it. A 24x7 store is open
-- [d 00:00, d+1 00:00) local on each date without special rows.
CREATE OR REPLACE MACRO group_intervals_on(dates, only_hashes) AS TABLE
WITH groups AS (
    -- One store stands for all the stores that share its hours and zone.
    SELECT hours_hash, arg_min(store_id, store_key) AS store_id
    FROM stores
    WHERE only_hashes IS NULL OR list_contains(only_hashes, hours_hash)
    GROUP BY hours_hash
),

zoned AS (
    SELECT g.hours_hash, g.store_id, coalesce(z.zone, 'America/Chicago') AS zone
    FROM groups AS g
    LEFT JOIN store_zone(NULL) AS z USING (store_id)
),

local_dates AS (
    SELECT DISTINCT unnest(dates) AS local_date
),

-- Snapshot rows are distinct already (ingest loads them with SELECT DISTINCT).
hours AS (
    SELECT h.store_id, h.day_of_week, h.start_time_local, h.end_time_local
    FROM business_hours AS h
    SEMI JOIN groups AS g USING (store_id)
),

-- Special rows on the given dates only: a date not asked for changes nothing asked for.
specials AS (
    SELECT s.store_id, s.local_date, s.start_time_local, s.end_time_local
    FROM special_hours AS s
    SEMI JOIN groups AS g USING (store_id)
    SEMI JOIN local_dates AS d USING (local_date)
),

special_dates AS (
    SELECT DISTINCT store_id, local_date FROM specials
),

local_intervals AS (
    -- Weekly rows, on the dates of their weekday that have no special rows.
    SELECT
        z.hours_hash,
        z.zone,
        d.local_date + h.start_time_local AS start_local,
        hours_row_end(d.local_date, h.start_time_local, h.end_time_local) AS end_local
    FROM zoned AS z
    INNER JOIN hours AS h USING (store_id)
    INNER JOIN local_dates AS d ON isodow(d.local_date) - 1 = h.day_of_week
    ANTI JOIN special_dates AS sd ON sd.store_id = z.store_id AND sd.local_date = d.local_date
    UNION ALL
    -- Special rows, by the same interval rules; a closed row (no times) starts nothing.
    SELECT
        z.hours_hash,
        z.zone,
        s.local_date + s.start_time_local AS start_local,
        hours_row_end(s.local_date, s.start_time_local, s.end_time_local) AS end_local
    FROM zoned AS z
    INNER JOIN specials AS s USING (store_id)
    WHERE s.start_time_local IS NOT NULL
    UNION ALL
    -- A 24x7 store with special dates: open the whole local day on every other date.
    SELECT
        z.hours_hash,
        z.zone,
        d.local_date::TIMESTAMP AS start_local,
        (d.local_date + 1)::TIMESTAMP AS end_local
    FROM zoned AS z
    CROSS JOIN local_dates AS d
    ANTI JOIN special_dates AS sd ON sd.store_id = z.store_id AND sd.local_date = d.local_date
    WHERE z.store_id NOT IN (SELECT store_id FROM hours)
        AND z.store_id IN (SELECT store_id FROM special_dates)
),

-- Groups in one zone often open at the same times: convert each distinct (zone, wall
-- time) once (ICU conversions are the costly part).
wall_times AS (
    SELECT DISTINCT zone, start_local AS wall FROM local_intervals
    UNION
    SELECT DISTINCT zone, end_local FROM local_intervals
),

converted AS (
    -- timezone(zone, wall time) reads a DST gap or fold with the zone's smaller offset (SPEC).
    SELECT zone, wall, epoch_us(timezone(zone, wall)) AS utc_us
    FROM wall_times
),

utc_intervals AS (
    SELECT l.hours_hash, s.utc_us AS start_us, e.utc_us AS end_us
    FROM local_intervals AS l
    INNER JOIN converted AS s ON l.zone = s.zone AND l.start_local = s.wall
    INNER JOIN converted AS e ON l.zone = e.zone AND l.end_local = e.wall
    UNION ALL
    -- No business-hours rows at all and no special rows on these dates: open 24x7, i.e.
    -- every covered day. Each date d gives [d - 2 days, d + 3 days) (as UTC), a span that
    -- no offset can escape; they merge below. (The same time as the local days above,
    -- without converting a wall time.)
    SELECT
        z.hours_hash,
        epoch_us(d.local_date::TIMESTAMP) - 172800000000 AS start_us,
        epoch_us(d.local_date::TIMESTAMP) + 259200000000 AS end_us
    FROM zoned AS z
    CROSS JOIN local_dates AS d
    WHERE z.store_id NOT IN (SELECT store_id FROM hours)
        AND z.store_id NOT IN (SELECT store_id FROM special_dates)
),

ordered AS (
    SELECT
        *,
        max(end_us) OVER (
            PARTITION BY hours_hash ORDER BY start_us, end_us
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) AS reach
    FROM utc_intervals
    -- A wall interval inside a DST gap can come out empty or reversed: it holds no time.
    WHERE end_us > start_us
),

islands AS (
    SELECT
        *,
        sum(CASE WHEN reach IS NULL OR start_us > reach THEN 1 ELSE 0 END) OVER (
            PARTITION BY hours_hash ORDER BY start_us, end_us ROWS UNBOUNDED PRECEDING
        ) AS island
    FROM ordered
),

final AS (
    SELECT hours_hash, min(start_us) AS start_us, max(end_us) AS end_us
    FROM islands
    GROUP BY hours_hash, island
)

SELECT * FROM final;

-- group_intervals_on over the local dates around [lo_ts, hi_ts] (two days of margin cover
-- any UTC offset and overnight rows): exact over the whole range. only_store (or NULL for
-- all) limits it to that store's hash.
CREATE OR REPLACE MACRO group_intervals(lo_ts, hi_ts, only_store) AS TABLE
SELECT *
FROM group_intervals_on(
    generate_series(
        (lo_ts::DATE - 2)::TIMESTAMP, (hi_ts::DATE + 2)::TIMESTAMP, INTERVAL 1 DAY
    )::DATE[],
    CASE
        WHEN only_store IS NULL THEN NULL
        ELSE coalesce(
            (SELECT list(hours_hash) FROM stores WHERE store_id = only_store), []::UBIGINT[]
        )
    END
);

-- The same intervals per store (store_key), for every polled store or just `only_store`.
CREATE OR REPLACE MACRO business_intervals(lo_ts, hi_ts, only_store) AS TABLE
SELECT k.store_key, g.start_us, g.end_us
FROM group_intervals(lo_ts, hi_ts, only_store) AS g
INNER JOIN stores AS k USING (hours_hash)
WHERE only_store IS NULL OR k.store_id = only_store;

-- Each cached group interval (derived.py keeps interval_cache covering the polls) filed
-- under every UTC day it touches, so that a poll finds the (at most one: intervals are
-- disjoint) interval holding it with an equality join on (hours hash, day) instead of a
-- range join. Used by the two statements that classify polls.
CREATE OR REPLACE MACRO cached_day_buckets() AS TABLE
SELECT
    hours_hash,
    unnest(generate_series(start_us // 86400000000, (end_us - 1) // 86400000000)) AS day,
    start_us,
    end_us
FROM interval_cache;

-- group_intervals_on for polls on the given UTC days (a list of day numbers; their local
-- dates d-2 .. d+2 cover any UTC offset and overnight rows) and hours hashes only, each
-- interval filed under every UTC day it touches, as cached_day_buckets files the cache's:
-- the buckets of polls older than the cache (derived/sparse_buckets.sql) and of archived
-- polls classified again (archive/classify.sql). The cost follows the polls' days, never
-- the span of dates between them.
CREATE OR REPLACE MACRO day_buckets(days, hashes) AS TABLE
SELECT
    hours_hash,
    unnest(generate_series(start_us // 86400000000, (end_us - 1) // 86400000000)) AS day,
    start_us,
    end_us
FROM group_intervals_on(
    (SELECT list(DISTINCT DATE '1970-01-01' + CAST(u.d + r.shift AS INTEGER))
     FROM unnest(days) AS u(d), range(-2, 3) AS r(shift)),
    hashes
);

-- Whether the day bucket (b_hash, b_day, b_start_us, b_end_us) holds a poll of hours hash
-- `hash` at t_us: the join of every statement that classifies polls (at most one bucket
-- holds a poll, as intervals are disjoint). Equalities on hash and day, so it stays a
-- hash join.
CREATE OR REPLACE MACRO bucket_holds(b_hash, b_day, b_start_us, b_end_us, hash, t_us) AS
    b_hash = hash AND b_day = t_us // 86400000000 AND t_us >= b_start_us AND t_us < b_end_us;

-- A field without its surrounding blanks (spaces and tabs), '' for a missing one. trim()
-- is costly on millions of values, and real fields almost never hold a blank: check first
-- (docs/PERFORMANCE.md).
CREATE OR REPLACE MACRO tidy(field) AS
    CASE
        WHEN contains(coalesce(field, ''), ' ') OR contains(coalesce(field, ''), chr(9))
            THEN trim(field, ' ' || chr(9))
        ELSE coalesce(field, '')
    END;

-- SPEC "Bad input": a poll must lie between 2000-01-01 and one day after the load (now()
-- is the load's time), and a store id holds at most 128 characters. Anything else is a
-- bad row: no value in a file can make a load (or the derived state) grow without bound.
CREATE OR REPLACE MACRO poll_time_plausible(ts) AS
    ts >= TIMESTAMPTZ '2000-01-01 00:00:00+00' AND ts <= now() + INTERVAL 1 DAY;

CREATE OR REPLACE MACRO store_id_too_long(store_id) AS length(store_id) > 128;

-- A poll's timestamp text as an instant, NULL if it is none (SPEC "Feeds"): the real feeds'
-- form "2023-01-22 12:09:39.388884 UTC" (without the fraction when it is zero) by format,
-- which is fast, any other ISO 8601 form (Z, +00:00, ...) by the zone-aware cast. The
-- format's TIMESTAMP is UTC wall time: through epoch microseconds, because a plain cast to
-- TIMESTAMPTZ goes through the zone calendar row by row (docs/PERFORMANCE.md).
CREATE OR REPLACE MACRO poll_time(ts_text) AS
    coalesce(
        make_timestamptz(epoch_us(
            try_strptime(ts_text, ['%Y-%m-%d %H:%M:%S.%f UTC', '%Y-%m-%d %H:%M:%S UTC'])
        )),
        try_cast(ts_text AS TIMESTAMPTZ)
    );

-- A special-hours date must lie in [2000-01-01, 2100-01-01), the range an as-of may take:
-- anything else is a bad row, not a date to compute business time for.
CREATE OR REPLACE MACRO special_date_plausible(local_date) AS
    local_date >= DATE '2000-01-01' AND local_date < DATE '2100-01-01';

-- Why a staged record of any feed cannot be read, before its values are looked at (NULL:
-- it can): the careful reader's reason (a stray byte, a broken quote), a field count other
-- than the header's, an empty or over-long store id.
CREATE OR REPLACE MACRO record_reason(pre_reason, n_fields, width, store_id) AS
    CASE
        WHEN pre_reason IS NOT NULL THEN pre_reason
        WHEN n_fields <> width THEN 'expected ' || width || ' fields, found ' || n_fields
        WHEN store_id = '' THEN 'empty store_id'
        WHEN store_id_too_long(store_id) THEN 'store_id longer than 128 characters'
    END;

-- A cell of a CSV file the product writes (the report, the rejected rows), safe to open in
-- a spreadsheet (SPEC "The report"): one starting with = + - @, a tab or a CR would run as
-- a formula, so it gets a leading apostrophe; so does one starting with an apostrophe,
-- which a spreadsheet would otherwise swallow. The guard is therefore exactly reversible:
-- drop one leading apostrophe (loop_core.report.unguarded_id). Only CSV files get it.
CREATE OR REPLACE MACRO spreadsheet_safe(cell) AS
    CASE
        WHEN left(cell, 1) IN ('=', '+', '-', '@', chr(9), chr(13), '''') THEN '''' || cell
        ELSE cell
    END;

-- A text field of a CSV line the product writes, quoted as Python's csv module does
-- (QUOTE_MINIMAL, its default "\r\n" terminator): only a field holding a comma, a quote, a
-- CR or an LF is quoted, with its quotes doubled. The standard report
-- (report/report_csv.sql) and the extended CSV (context/extended_tail.sql) both write
-- their text cells through it.
CREATE OR REPLACE MACRO csv_field(cell) AS
    CASE
        WHEN regexp_matches(cell, '[,"' || chr(13) || chr(10) || ']')
            THEN '"' || replace(cell, '"', '""') || '"'
        ELSE cell
    END;

-- Store context (loop_core/context.py; docs/RULES.md "Store context"). A window's uptime %
-- is its uptime over its business time (uptime + downtime): NULL without business time,
-- never 0.
CREATE OR REPLACE MACRO uptime_pct(up_us, down_us) AS
    100.0 * up_us / nullif(up_us + down_us, 0);

-- The estimated revenue lost to downtime: downtime hours times the store's hourly rate
-- (the stores feed's hourly_revenue); NULL without a rate.
CREATE OR REPLACE MACRO lost_revenue(down_us, rate) AS down_us / 3600000000.0 * rate;

-- A week's remaining downtime budget in hours: what the uptime target (a %) allows of the
-- week's business time, minus its downtime (negative once the target is missed); NULL
-- without business time.
CREATE OR REPLACE MACRO budget_left_h(up_us, down_us, target_pct) AS
    CASE WHEN up_us + down_us > 0
        THEN ((up_us + down_us) * (100 - target_pct) / 100.0 - down_us) / 3600000000.0
    END;

-- Poll coverage (docs/RULES.md "Evidence"): the covered share of a window's business time,
-- 0..1; NULL without business time, never 0. evidence/evidence.part.sql outputs it, and
-- both the evidence frame (loop_core/evidence.py) and the extended CSV read that column.
CREATE OR REPLACE MACRO coverage_share(covered_us, business_us) AS
    covered_us / nullif(business_us, 0);
