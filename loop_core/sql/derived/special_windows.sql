-- After a special-hours load (derived.refresh): a store whose hash changed only because of
-- its special rows has new business time only around the changed dates. Instead of
-- reclassifying all its polls (as `changed_stores` would), forget the flags of its polls
-- inside the UTC range those dates reach (temp table `special_changes`, from
-- derived/special_changes.sql) and take it out of `changed_stores`; derived.classify_pending
-- then classifies the forgotten polls like any unclassified one. No parameters.
UPDATE store_status
SET in_hours = NULL
FROM (
    SELECT k.store_key, c.lo_us, c.hi_us
    FROM special_changes AS c
    INNER JOIN stores AS k USING (store_id)
) AS w
WHERE store_status.store_key = w.store_key
    AND store_status.timestamp_utc BETWEEN make_timestamptz(w.lo_us) AND make_timestamptz(w.hi_us);

DELETE FROM changed_stores
WHERE store_key IN (
    SELECT k.store_key FROM special_changes AS c INNER JOIN stores AS k USING (store_id)
);
