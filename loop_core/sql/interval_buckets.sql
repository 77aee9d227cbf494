-- Step 2: each interval of `business_window` filed under every UTC day it touches, so a
-- poll finds the (at most one: intervals are disjoint) interval holding it with an equality
-- join on (store, day) instead of a sort-based range join. The pair is packed into one
-- BIGINT (days since 1970 stay below 100,000 for 270 years), which hashes faster.
SELECT
    start_us,
    end_us,
    store_key::BIGINT * 100000
    + unnest(generate_series(start_us // 86400000000, (end_us - 1) // 86400000000)) AS bucket
FROM business_window
