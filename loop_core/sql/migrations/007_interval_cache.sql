-- Version 7: business intervals per hours hash (macro group_intervals), kept for the range
-- of the stored polls plus the days ahead. Polls are classified against it as they load,
-- and a report or timeline whose range it covers reads it instead of converting hours
-- again (docs/PERFORMANCE.md). derived.py maintains it.
CREATE TABLE interval_cache (
    hours_hash  UBIGINT NOT NULL,
    start_us    BIGINT NOT NULL,
    end_us      BIGINT NOT NULL
);

-- The range [lo_us, hi_us] the cache is exact for, and a fingerprint of the hours hashes
-- it holds (a store with a new hash makes it incomplete). One row, or none when empty.
-- A hash names its zone and hours rows, so a snapshot load never makes an entry wrong.
CREATE TABLE interval_cache_range (
    lo_us      BIGINT NOT NULL,
    hi_us      BIGINT NOT NULL,
    groups_fp  UBIGINT
);
