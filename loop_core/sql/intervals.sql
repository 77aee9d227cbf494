-- Step 1 of the shared start of the report and of the timeline (see observations.py):
-- the merged business intervals covering every poll and the asked range, kept in the temp
-- table `business_window`. Materialising them gives the planner exact sizes, so the big
-- join in observations.sql builds its hash table on the intervals, not on the polls.
-- Follows params.sql.
final AS (
    SELECT *
    -- Cover every poll (any observation may be the nearest) and the whole asked range.
    FROM business_intervals(
        least((SELECT min(first_poll) FROM stores), (SELECT from_ts FROM bounds)),
        (SELECT greatest(now_ts, to_ts) FROM bounds),
        (SELECT only_store FROM bounds)
    )
)

SELECT * FROM final
