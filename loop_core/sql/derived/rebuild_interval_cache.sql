-- Fill the (emptied) interval cache with the group intervals of [lo, hi], in epoch
-- microseconds (derived.cover). Parameters: lo_us, hi_us.
INSERT INTO interval_cache
SELECT hours_hash, start_us, end_us
FROM group_intervals(make_timestamptz(?::BIGINT), make_timestamptz(?::BIGINT), NULL)
