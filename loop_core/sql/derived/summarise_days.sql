-- The observation_days rows (migration 009) of the (store_key, day) pairs in the temp table
-- `touched_days`, recomputed from the polls as they are now (derived.summarise_days writes
-- them). A pair without an observation any more gets no row. Polls are read only from the
-- touched days' range (the scan skips the row groups of other days).
WITH range AS (
    SELECT
        make_timestamptz(min(day)::BIGINT * 86400000000) AS lo,
        make_timestamptz((max(day)::BIGINT + 1) * 86400000000) AS hi
    FROM touched_days
),

stg_polls AS (
    SELECT
        store_key,
        (epoch_us(timestamp_utc) // 86400000000)::INTEGER AS day,
        epoch_us(timestamp_utc) * 2 + is_active::BIGINT AS key
    FROM store_status
    WHERE
        in_hours
        AND timestamp_utc >= (SELECT lo FROM range)
        AND timestamp_utc < (SELECT hi FROM range)
),

final AS (
    SELECT p.store_key, p.day, max(p.key) AS last_key
    FROM stg_polls AS p
    SEMI JOIN touched_days AS t USING (store_key, day)
    GROUP BY p.store_key, p.day
)

SELECT * FROM final
