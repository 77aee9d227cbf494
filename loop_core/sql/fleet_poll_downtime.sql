-- Poll-based estimate of fleet downtime by store-local hour, until the engine exposes the
-- interpolated spans of every store: for each store-local date and hour, how many
-- observations there were (polls inside business time, exactly as the report defines them,
-- through the engine's `business_intervals` and `store_zone` macros) and how many of them
-- said "inactive". Polls come about hourly, so inactive / observations estimates the share
-- of business time that was down.
-- Parameters: as_of (TIMESTAMPTZ), days (INTEGER): polls in (as_of - days, as_of].
WITH params AS (
    SELECT
        CAST(? AS TIMESTAMPTZ) AS as_of,
        CAST(? AS INTEGER)     AS days
),

bounds AS (
    SELECT
        as_of,
        as_of - to_days(days) AS since,
        epoch_us(as_of) AS as_of_us,
        epoch_us(as_of - to_days(days)) AS since_us
    FROM params
),

stg_polls AS (
    SELECT s.store_id, s.is_active, s.timestamp_utc, epoch_us(s.timestamp_utc) AS t_us
    FROM store_status AS s, bounds AS b
    WHERE s.timestamp_utc > b.since AND s.timestamp_utc <= b.as_of
),

intervals AS (
    SELECT *
    FROM business_intervals((SELECT since FROM bounds), (SELECT as_of FROM bounds), NULL)
),

zones AS (
    SELECT store_id, zone FROM store_zone(NULL)
),

observations AS (
    SELECT p.store_id, p.is_active, p.timestamp_utc
    FROM stg_polls AS p
    ASOF INNER JOIN intervals AS i ON p.store_id = i.store_id AND p.t_us >= i.start_us
    WHERE p.t_us < i.end_us
),

localised AS (
    SELECT
        o.is_active,
        timezone(coalesce(z.zone, 'America/Chicago'), o.timestamp_utc) AS local_ts
    FROM observations AS o
    LEFT JOIN zones AS z USING (store_id)
),

final AS (
    SELECT
        CAST(local_ts AS DATE)                  AS local_date,
        CAST(isodow(local_ts) - 1 AS INTEGER)   AS day_of_week,
        CAST(hour(local_ts) AS INTEGER)         AS local_hour,
        count(*)                                AS polls,
        count(*) FILTER (WHERE NOT is_active)   AS inactive_polls
    FROM localised
    GROUP BY ALL
)

SELECT * FROM final ORDER BY local_date, local_hour
