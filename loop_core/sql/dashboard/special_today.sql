-- How many polled stores have special-hours rows on their own local date of the instant T
-- (SPEC "Special hours"), for the Fleet page: closed all day (rows without times only) or
-- open on special hours. Only the stores named by the special feed are converted.
-- Parameter: T.
WITH params AS (
    SELECT ?::TIMESTAMPTZ AS at_ts
),

named AS (
    SELECT DISTINCT s.store_id
    FROM special_hours AS s
    SEMI JOIN stores AS k USING (store_id)
),

today AS (
    SELECT
        n.store_id,
        CAST(timezone(coalesce(z.zone, 'America/Chicago'), (SELECT at_ts FROM params)) AS DATE)
            AS local_date
    FROM named AS n
    LEFT JOIN store_zone(NULL) AS z USING (store_id)
),

special AS (
    SELECT s.store_id, bool_or(s.start_time_local IS NOT NULL) AS opens
    FROM special_hours AS s
    INNER JOIN today AS t USING (store_id, local_date)
    GROUP BY s.store_id
),

final AS (
    SELECT
        count(*) FILTER (WHERE NOT opens) AS closed,
        count(*) FILTER (WHERE opens) AS special_hours
    FROM special
)

SELECT * FROM final
