-- Version 3: remember each store's first poll, so the report can list the stores polled
-- at or before "now" without a second pass over millions of polls.
ALTER TABLE stores ADD COLUMN first_poll TIMESTAMPTZ;
UPDATE stores AS k
SET first_poll = f.first_poll
FROM (SELECT store_key, min(timestamp_utc) AS first_poll FROM store_status GROUP BY store_key) AS f
WHERE k.store_key = f.store_key;
