-- Give every store id in the temp table `staged` that has no key yet a new one, and keep
-- each store's first poll up to date (the report lists stores polled at or before now).
WITH new_ids AS (
    SELECT store_id, min(timestamp_utc) AS first_poll
    FROM staged
    WHERE reason IS NULL
    GROUP BY store_id
),

unknown AS (
    SELECT n.store_id, n.first_poll
    FROM new_ids AS n
    ANTI JOIN stores AS s USING (store_id)
),

earlier AS (
    SELECT n.store_id, n.first_poll
    FROM new_ids AS n
    INNER JOIN stores AS s USING (store_id)
    WHERE n.first_poll < s.first_poll
)

MERGE INTO stores AS s
USING (SELECT * FROM unknown UNION ALL SELECT * FROM earlier) AS n
ON s.store_id = n.store_id
WHEN MATCHED THEN UPDATE SET first_poll = n.first_poll
WHEN NOT MATCHED THEN INSERT VALUES (nextval('store_key_seq'), n.store_id, n.first_poll)
