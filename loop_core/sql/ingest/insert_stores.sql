-- Give every store id in the temp view `readable` (ingest.py) that has no key yet a new
-- one, with its hours hash (rules/macros.sql; its polls are classified with it), and keep each
-- store's first poll up to date (the report lists stores polled at or before now).
WITH new_ids AS (
    SELECT store_id, min(timestamp_utc) AS first_poll
    FROM readable
    GROUP BY store_id
),

unknown AS (
    SELECT
        n.store_id,
        n.first_poll,
        coalesce(h.hours_hash, hours_hash_value('America/Chicago', NULL)) AS hours_hash
    FROM new_ids AS n
    ANTI JOIN stores AS s USING (store_id)
    LEFT JOIN snapshot_hours_hashes() AS h USING (store_id)
),

earlier AS (
    SELECT n.store_id, n.first_poll, s.hours_hash
    FROM new_ids AS n
    INNER JOIN stores AS s USING (store_id)
    WHERE n.first_poll < s.first_poll
)

MERGE INTO stores AS s
USING (SELECT * FROM unknown UNION ALL SELECT * FROM earlier) AS n
ON s.store_id = n.store_id
WHEN MATCHED THEN UPDATE SET first_poll = n.first_poll
WHEN NOT MATCHED THEN INSERT (store_key, store_id, first_poll, hours_hash)
    VALUES (nextval('store_key_seq'), n.store_id, n.first_poll, n.hours_hash)
