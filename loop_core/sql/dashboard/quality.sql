-- Data-quality findings per store, for the Data page: one row per (store, problem), with
-- the zone name given (invalid_timezone only). No parameters.
--   invalid_timezone : the zone name is not an IANA zone DuckDB knows (America/Chicago used)
--   no_timezone      : a polled store without a timezone row (America/Chicago used)
--   no_hours         : a polled store without business-hours rows (open 24x7)
-- Stores with no polls inside their hours come from the report itself (has_observations).
WITH polled AS (
    SELECT store_id FROM stores
),

zones AS (
    SELECT store_id, zone_given, zone_invalid FROM store_zone(NULL)
),

hours AS (
    SELECT DISTINCT store_id FROM business_hours
),

invalid_timezone AS (
    SELECT store_id, 'invalid_timezone' AS problem, zone_given
    FROM zones
    WHERE zone_invalid
),

no_timezone AS (
    SELECT p.store_id, 'no_timezone' AS problem, NULL::VARCHAR AS zone_given
    FROM polled AS p
    WHERE p.store_id NOT IN (SELECT store_id FROM zones)
),

no_hours AS (
    SELECT p.store_id, 'no_hours' AS problem, NULL::VARCHAR AS zone_given
    FROM polled AS p
    WHERE p.store_id NOT IN (SELECT store_id FROM hours)
),

final AS (
    SELECT * FROM invalid_timezone
    UNION ALL SELECT * FROM no_timezone
    UNION ALL SELECT * FROM no_hours
)

SELECT * FROM final ORDER BY problem, store_id
