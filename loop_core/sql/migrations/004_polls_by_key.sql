-- Version 4: polls keep only the integer store key; the id text lives once in `stores`.
-- Writing 2.6M copies of a 19-character id was a third of the time of a fresh load, and
-- every query that reads polls in bulk works on the key anyway.
ALTER TABLE store_status DROP COLUMN store_id;

-- The polls with their store id, for people (and tests) reading the database by hand.
CREATE VIEW store_polls AS
SELECT k.store_id, s.is_active, s.timestamp_utc, s.load_id
FROM store_status AS s
INNER JOIN stores AS k USING (store_key);
