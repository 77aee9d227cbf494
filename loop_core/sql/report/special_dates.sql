-- One store's special-hours rows (SPEC "Special hours") on the local dates of the range
-- [range start, range end) and of the 14 days from now's local date on: what the
-- drill-down lists in its hours table and shades on its timeline. Each row has its local
-- and UTC start and end by the business-time rules (macro hours_row_end; a closed row has
-- none) and the UTC extent of its local date. Rows of one date are listed as given.
-- Parameters: store_id, range start, range end, now (TIMESTAMPTZ each).
WITH params AS (
    SELECT
        ?::VARCHAR AS store_id,
        ?::TIMESTAMPTZ AS range_start,
        ?::TIMESTAMPTZ AS range_end,
        ?::TIMESTAMPTZ AS now_ts
),

zone AS (
    SELECT coalesce(
        (SELECT zone FROM store_zone((SELECT store_id FROM params))), 'America/Chicago'
    ) AS zone
),

reference AS (
    SELECT
        CAST(timezone(z.zone, p.range_start) AS DATE) AS first_date,
        CAST(timezone(z.zone, p.range_end - INTERVAL 1 MICROSECOND) AS DATE) AS last_date,
        CAST(timezone(z.zone, p.now_ts) AS DATE) AS today
    FROM params AS p, zone AS z
),

stg_special AS (
    SELECT DISTINCT local_date, start_time_local, end_time_local
    FROM special_hours
    WHERE store_id = (SELECT store_id FROM params)
),

chosen AS (
    SELECT s.*, s.local_date BETWEEN r.first_date AND r.last_date AS in_range
    FROM stg_special AS s, reference AS r
    WHERE s.local_date BETWEEN r.first_date AND r.last_date
        OR s.local_date BETWEEN r.today AND r.today + 14
),

local_times AS (
    SELECT
        *,
        local_date + start_time_local AS start_local,
        hours_row_end(local_date, start_time_local, end_time_local) AS end_local
    FROM chosen
),

final AS (
    SELECT
        l.local_date,
        l.start_time_local,
        l.end_time_local,
        l.in_range,
        l.start_local,
        l.end_local,
        -- timezone(zone, wall time) reads a DST gap or fold with the smaller offset (SPEC).
        timezone(z.zone, l.start_local) AS start_utc,
        timezone(z.zone, l.end_local) AS end_utc,
        timezone(z.zone, l.local_date::TIMESTAMP) AS day_start_utc,
        timezone(z.zone, (l.local_date + 1)::TIMESTAMP) AS day_end_utc
    FROM local_times AS l, zone AS z
)

SELECT * FROM final ORDER BY local_date, start_time_local NULLS FIRST, end_time_local
