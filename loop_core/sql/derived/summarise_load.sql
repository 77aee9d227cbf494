-- The observation_days rows (migration 009) that one load's new polls change
-- (derived.summarise_load writes them): a load only adds observations, so each (store, day)
-- pair it touches keeps the later of its stored last observation and the load's. Polls it
-- left unclassified (older than the interval cache) are summarised once classified
-- (derived.classify_pending). Only the load's rows and the stored rows of its days are read.
-- Parameter: load_id.
WITH added AS (
    SELECT
        store_key,
        (epoch_us(timestamp_utc) // 86400000000)::INTEGER AS day,
        max(epoch_us(timestamp_utc) * 2 + is_active::BIGINT) AS last_key
    FROM store_status
    WHERE load_id = ? AND in_hours
    GROUP BY ALL
),

range AS (
    SELECT min(day) AS lo, max(day) AS hi FROM added
),

stored AS (
    SELECT store_key, day, last_key
    FROM observation_days
    WHERE day >= (SELECT lo FROM range) AND day <= (SELECT hi FROM range)
),

final AS (
    SELECT a.store_key, a.day, greatest(a.last_key, coalesce(s.last_key, a.last_key)) AS last_key
    FROM added AS a
    LEFT JOIN stored AS s USING (store_key, day)
)

SELECT * FROM final
