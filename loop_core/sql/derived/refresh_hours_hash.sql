-- Recompute every store's hours hash (macro hours_hashes) and keep the stores whose hash
-- changed (new stores included) in the temp table `changed_stores`, for derived/classify_polls.sql.
-- Run after a snapshot load or a new store, inside that load's transaction.
CREATE OR REPLACE TEMP TABLE changed_stores AS
WITH computed AS (
    SELECT store_key, hours_hash FROM hours_hashes()
),

final AS (
    SELECT c.store_key, c.hours_hash
    FROM computed AS c
    INNER JOIN stores AS k USING (store_key)
    WHERE k.hours_hash IS DISTINCT FROM c.hours_hash
)

SELECT * FROM final;

UPDATE stores
SET hours_hash = c.hours_hash
FROM changed_stores AS c
WHERE stores.store_key = c.store_key;
