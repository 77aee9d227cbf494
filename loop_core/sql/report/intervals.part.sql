-- Step 1 of the shared start of the report and of the timeline (see observations.py):
-- the merged business intervals covering the asked range, kept in the temp table
-- `business_window` (materialised: the planner then knows their exact size).
-- Polls need none of them: each was marked in_hours when it was loaded (derived.py).
-- Follows report/params.part.sql.
final AS (
    SELECT *
    FROM business_intervals(
        (SELECT from_ts FROM bounds),
        (SELECT to_ts FROM bounds),
        (SELECT only_store FROM bounds)
    )
)

SELECT * FROM final
