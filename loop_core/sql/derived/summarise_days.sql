-- The observation_days rows (migrations 009, 015) of the (store_key, day) pairs in the temp
-- table `touched_days`, recomputed from the polls as they are now (derived.summarise_days
-- writes them). A pair without a poll any more gets no row. Polls are read only from the
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
        epoch_us(timestamp_utc) * 2 + is_active::BIGINT AS k,
        coalesce(in_hours, false) AS in_hours
    FROM store_status
    WHERE
        timestamp_utc >= (SELECT lo FROM range)
        AND timestamp_utc < (SELECT hi FROM range)
),

day_polls AS (
    SELECT p.*
    FROM stg_polls AS p
    SEMI JOIN touched_days AS t USING (store_key, day)
),
