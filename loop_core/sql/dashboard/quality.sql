-- Data-quality findings per store, for the Data page: one row per (store, problem), with
-- the zone name given (invalid_timezone only) and the special dates concerned (the two
-- special_* problems; text, earliest first). No parameters.
--   invalid_timezone      : the zone name is not an IANA zone DuckDB knows (America/Chicago used)
--   no_timezone           : a polled store without a timezone row (America/Chicago used)
--   no_hours              : a polled store without business-hours rows (open 24x7)
--   special_unknown_store : special-hours rows for an id no feed knows (no poll, no hours,
--                           no timezone row): a typo, or a store not polled yet
--   special_far_date      : a special date more than 366 days before or after "now" (the
--                           latest poll, else today): probably a wrong year
-- Stores with no polls inside their hours come from the report itself (has_observations).
WITH polled AS (
    SELECT store_id FROM stores
),

known AS (
    SELECT store_id FROM stores
    UNION
    SELECT store_id FROM business_hours
    UNION
    SELECT store_id FROM timezones
),

special_dates AS (
    SELECT DISTINCT store_id, local_date FROM special_hours
),

today AS (
    SELECT coalesce(CAST((SELECT max(timestamp_utc) FROM store_status) AS DATE), current_date)
        AS local_date
),

zones AS (
    SELECT store_id, zone_given, zone_invalid FROM store_zone(NULL)
),

hours AS (
    SELECT DISTINCT store_id FROM business_hours
),

invalid_timezone AS (
    SELECT store_id, 'invalid_timezone' AS problem, zone_given, NULL::VARCHAR AS dates
    FROM zones
    WHERE zone_invalid
),

no_timezone AS (
    SELECT p.store_id, 'no_timezone' AS problem, NULL::VARCHAR AS zone_given,
        NULL::VARCHAR AS dates
    FROM polled AS p
    WHERE p.store_id NOT IN (SELECT store_id FROM zones)
),

no_hours AS (
    SELECT p.store_id, 'no_hours' AS problem, NULL::VARCHAR AS zone_given,
        NULL::VARCHAR AS dates
    FROM polled AS p
    WHERE p.store_id NOT IN (SELECT store_id FROM hours)
),

special_unknown_store AS (
    SELECT
        d.store_id,
        'special_unknown_store' AS problem,
        NULL::VARCHAR AS zone_given,
        string_agg(d.local_date::VARCHAR, ', ' ORDER BY d.local_date) AS dates
    FROM special_dates AS d
    WHERE d.store_id NOT IN (SELECT store_id FROM known)
    GROUP BY d.store_id
),

special_far_date AS (
    SELECT
        d.store_id,
        'special_far_date' AS problem,
        NULL::VARCHAR AS zone_given,
        string_agg(d.local_date::VARCHAR, ', ' ORDER BY d.local_date) AS dates
    FROM special_dates AS d, today AS t
    WHERE d.local_date < t.local_date - 366 OR d.local_date > t.local_date + 366
    GROUP BY d.store_id
),

final AS (
    SELECT * FROM invalid_timezone
    UNION ALL SELECT * FROM no_timezone
    UNION ALL SELECT * FROM no_hours
    UNION ALL SELECT * FROM special_unknown_store
    UNION ALL SELECT * FROM special_far_date
)

SELECT * FROM final ORDER BY problem, store_id
