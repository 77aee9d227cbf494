-- The stores whose special-hours rows the staged snapshot (temp view `readable`, ingest.py)
-- changes, each with the UTC range [lo_us, hi_us] that its changed local dates can reach,
-- into the temp table `special_changes` (derived/special_windows.sql reads it). Run inside
-- the load's transaction before the old rows are deleted. An interval that starts on local
-- date d begins after (d - 1) 00:00 UTC (no offset is above +14 h) and ends before
-- (d + 3) 00:00 UTC (an overnight row ends by d + 2 00:00 local; no offset is below -12 h).
CREATE OR REPLACE TEMP TABLE special_changes AS
WITH old_rows AS (
    SELECT store_id, local_date, start_time_local, end_time_local FROM special_hours
),

new_rows AS (
    SELECT store_id, local_date, start_time_local, end_time_local FROM readable
),

changed AS (
    (SELECT * FROM old_rows EXCEPT SELECT * FROM new_rows)
    UNION ALL
    (SELECT * FROM new_rows EXCEPT SELECT * FROM old_rows)
),

final AS (
    SELECT
        store_id,
        epoch_us((min(local_date) - 1)::TIMESTAMP) AS lo_us,
        epoch_us((max(local_date) + 3)::TIMESTAMP) AS hi_us
    FROM changed
    GROUP BY store_id
)

SELECT * FROM final
