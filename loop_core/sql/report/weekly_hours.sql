-- One store's weekly business-hours rows, each placed on the local week that ends on the
-- local date of the range's last instant, with its local and UTC start and end by the
-- business-time rules (macro hours_row_end) and the zone's UTC offset at its start: what
-- the drill-down's hours table shows. Overlapping rows are listed as given, not merged.
-- Parameters: store_id, range end (TIMESTAMPTZ; the week ends on its local date).
WITH params AS (
    SELECT ?::VARCHAR AS store_id, ?::TIMESTAMPTZ AS range_end
),

zone AS (
    SELECT coalesce(
        (SELECT zone FROM store_zone((SELECT store_id FROM params))), 'America/Chicago'
    ) AS zone
),

reference AS (
    SELECT CAST(timezone(z.zone, p.range_end - INTERVAL 1 MICROSECOND) AS DATE) AS last_date
    FROM params AS p, zone AS z
),

stg_hours AS (
    SELECT DISTINCT day_of_week, start_time_local, end_time_local
    FROM business_hours
    WHERE store_id = (SELECT store_id FROM params)
),

placed AS (
    SELECT
        h.*,
        r.last_date AS week_ends,
        r.last_date - CAST((isodow(r.last_date) - 1 - h.day_of_week + 7) % 7 AS INTEGER)
            AS local_date
    FROM stg_hours AS h, reference AS r
),

local_times AS (
    SELECT
        *,
        local_date + start_time_local AS start_local,
        hours_row_end(local_date, start_time_local, end_time_local) AS end_local
    FROM placed
),

final AS (
    SELECT
        l.day_of_week,
        l.start_time_local,
        l.end_time_local,
        l.local_date,
        l.week_ends,
        l.start_local,
        l.end_local,
        -- timezone(zone, wall time) reads a DST gap or fold with the smaller offset (SPEC).
        timezone(z.zone, l.start_local) AS start_utc,
        timezone(z.zone, l.end_local) AS end_utc,
        CAST((epoch(l.start_local) - epoch(timezone(z.zone, l.start_local))) // 60 AS INTEGER)
            AS utc_offset_minutes
    FROM local_times AS l, zone AS z
)

SELECT * FROM final ORDER BY day_of_week, start_time_local, end_time_local
