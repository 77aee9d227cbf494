-- Macros shared by the synthetic feed generator (loop_core/sample.py).
--
-- Every random choice is a pure function of (seed, store index, ...) computed with
-- hash(): DuckDB's random() depends on which thread draws which row, whereas a hash
-- gives the same bytes whatever the thread count. The three feed queries all call
-- these macros, so a store's kind, zone and id agree across the three files.
--
-- Kept as macros (not a store table joined to the polls) because a join would break
-- the guaranteed row order of the 27M-row poll query, and sorting that many rows
-- would cost more than recomputing a few hashes per row.

-- The hash behind one decision (`salt` names it) about store `s`.
-- hash(a, b, salt) only XORs the salt's hash in at the end, so two salts would give
-- values that differ by a constant: perfectly correlated draws. Hashing the result
-- again (a non-linear 64-bit mix) makes the decisions independent of each other.
-- The casts matter too: hash() depends on the type, and a bound seed is an INTEGER
-- or a BIGINT depending on its size.
CREATE OR REPLACE TEMP MACRO smp_h(seed, s, salt) AS
    hash(hash(seed::BIGINT, s::BIGINT, salt));

-- The same for a decision about store `s` on day or weekday `k`.
CREATE OR REPLACE TEMP MACRO smp_h2(seed, s, k, salt) AS
    hash(hash(seed::BIGINT, s::BIGINT, k::BIGINT, salt));

-- Uniform double in [0, 1) for one store.
CREATE OR REPLACE TEMP MACRO smp_u(seed, s, salt) AS
    smp_h(seed, s, salt) / 18446744073709551616.0;

-- Uniform double in [0, 1) for one (store, day) pair.
CREATE OR REPLACE TEMP MACRO smp_u2(seed, s, k, salt) AS
    smp_h2(seed, s, k, salt) / 18446744073709551616.0;

-- One of `options`, chosen by the hash `h`.
CREATE OR REPLACE TEMP MACRO smp_pick(h, options) AS
    options[1 + (h % len(options))::BIGINT];

-- The store id as the feeds spell it. Numeric ids are non-negative int64 values like
-- the v1 feed's (so ~89% have 19 digits, ~10% 18, a few fewer); UUIDs are version 4
-- shaped like the v2 feed's.
-- `h1` and `h2` are the store's smp_h(seed, s, 'id') and smp_h(seed, s, 'id2').
-- The UUID is h1:h2 as 128 bits with the version nibble set to 4 (h1 & ~0xF000 | 0x4000)
-- and the variant bits to 0b10 (h2 & 0x3FFF... | 0x8000...); a cast formats it about
-- 20 times faster than printf, which matters at one id per poll.
CREATE OR REPLACE TEMP MACRO smp_id_of(h1, h2, uuid_style) AS
    CASE WHEN uuid_style THEN
        ((((h1 & 18446744073709490175) | 16384)::UHUGEINT << 64)
            | ((h2 & 4611686018427387903) | 9223372036854775808))::UUID::VARCHAR
    ELSE (h1 >> 1)::VARCHAR
    END;

CREATE OR REPLACE TEMP MACRO smp_store_id(seed, s, uuid_style) AS
    smp_id_of(smp_h(seed, s, 'id'), smp_h(seed, s, 'id2'), uuid_style);

-- How the store's business hours look:
--   none      no business-hours rows at all (open 24x7)
--   allday    00:00:00-23:59:00 or 00:00:00-23:59:59 every open day
--   regular   one interval per open day
--   split     lunch + dinner, two intervals a day
--   quad      four intervals a day (the real maximum)
--   overnight evening shift pre-split at midnight: 18:00:00-23:59:00 + 00:00:00-02:00:00 next day
--   outside   10:00-14:00, and the store is only ever polled outside those hours
-- (`u` is the store's smp_u(seed, s, 'kind'), computed once by the caller when it
-- matters: a macro argument is copied into every WHEN, and hashing is the main cost.
-- 'outside' comes first so that the poll query can test it with one comparison.)
CREATE OR REPLACE TEMP MACRO smp_is_outside(u) AS
    u < 0.015;

CREATE OR REPLACE TEMP MACRO smp_kind_of(u) AS
    CASE
        WHEN smp_is_outside(u) THEN 'outside'
        WHEN u < 0.085 THEN 'none'
        WHEN u < 0.185 THEN 'allday'
        WHEN u < 0.265 THEN 'split'
        WHEN u < 0.285 THEN 'quad'
        WHEN u < 0.345 THEN 'overnight'
        ELSE 'regular'
    END;

CREATE OR REPLACE TEMP MACRO smp_kind(seed, s) AS
    smp_kind_of(smp_u(seed, s, 'kind'));

-- A real IANA zone, weighted like the real feeds (mostly US) plus Europe and
-- Australia so that DST on both hemispheres and half-hour offsets are exercised.
CREATE OR REPLACE TEMP MACRO smp_zone(seed, s) AS
    CASE
        WHEN smp_u(seed, s, 'zone') < 0.28 THEN 'America/New_York'
        WHEN smp_u(seed, s, 'zone') < 0.50 THEN 'America/Chicago'
        WHEN smp_u(seed, s, 'zone') < 0.64 THEN 'America/Los_Angeles'
        WHEN smp_u(seed, s, 'zone') < 0.69 THEN 'America/Denver'
        WHEN smp_u(seed, s, 'zone') < 0.73 THEN 'America/Phoenix'
        WHEN smp_u(seed, s, 'zone') < 0.75 THEN 'America/Detroit'
        WHEN smp_u(seed, s, 'zone') < 0.77 THEN 'America/Indiana/Indianapolis'
        WHEN smp_u(seed, s, 'zone') < 0.78 THEN 'America/Boise'
        WHEN smp_u(seed, s, 'zone') < 0.79 THEN 'Pacific/Honolulu'
        WHEN smp_u(seed, s, 'zone') < 0.80 THEN 'America/Anchorage'
        WHEN smp_u(seed, s, 'zone') < 0.84 THEN 'Europe/London'
        WHEN smp_u(seed, s, 'zone') < 0.87 THEN 'Europe/Berlin'
        WHEN smp_u(seed, s, 'zone') < 0.89 THEN 'Europe/Paris'
        WHEN smp_u(seed, s, 'zone') < 0.90 THEN 'Europe/Madrid'
        WHEN smp_u(seed, s, 'zone') < 0.94 THEN 'Australia/Sydney'
        WHEN smp_u(seed, s, 'zone') < 0.96 THEN 'Australia/Melbourne'
        WHEN smp_u(seed, s, 'zone') < 0.97 THEN 'Australia/Adelaide'
        WHEN smp_u(seed, s, 'zone') < 0.98 THEN 'Australia/Brisbane'
        WHEN smp_u(seed, s, 'zone') < 0.99 THEN 'Asia/Kolkata'
        ELSE 'Asia/Beirut'
    END;

-- The store's timezones.csv cell: NULL = no row (2%), an invalid name (1%), else its
-- zone. 'outside' stores always get their real zone, because their polls are placed
-- outside business hours in that zone's local time.
CREATE OR REPLACE TEMP MACRO smp_zone_cell(seed, s) AS
    CASE
        WHEN smp_kind(seed, s) = 'outside' THEN smp_zone(seed, s)
        WHEN smp_u(seed, s, 'tzq') < 0.02 THEN NULL
        WHEN smp_u(seed, s, 'tzq') < 0.03 THEN
            smp_pick(smp_h(seed, s, 'badzone'),
                ['America/Atlantis', 'Mars/Olympus_Mons', 'America/NewYork'])
        ELSE smp_zone(seed, s)
    END;

-- Does the run of hours drawn by hash `h` for window day `k` cover window hour `t`?
-- A run happens on `per_mille`/1000 of the days, starts at a drawn hour of day `k` and
-- lasts 1..max_len hours (so it may spill into day k + 1).
CREATE OR REPLACE TEMP MACRO smp_run_covers(h, k, t, per_mille, max_len) AS
    h % 1000 < per_mille
    AND t >= k * 24 + ((h >> 16) % 24)::BIGINT
    AND t < k * 24 + ((h >> 16) % 24)::BIGINT + 1 + ((h >> 32) % max_len)::BIGINT;
