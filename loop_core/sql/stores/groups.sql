-- Each known store's grouping attributes, for the dashboard's region/brand/timezone filters:
-- store_id, name, region, brand from the stores feed ('' where it says nothing or has no
-- row) and the effective timezone (the valid zone given, else America/Chicago).
WITH known AS (
    SELECT store_id FROM stores
),

attributes AS (
    SELECT store_id, name, region, brand FROM store_attributes
),

final AS (
    SELECT
        k.store_id,
        coalesce(a.name, '')                      AS name,
        coalesce(a.region, '')                    AS region,
        coalesce(a.brand, '')                     AS brand,
        coalesce(z.zone, 'America/Chicago')       AS timezone
    FROM known AS k
    LEFT JOIN attributes AS a USING (store_id)
    LEFT JOIN store_zone(NULL) AS z USING (store_id)
)

SELECT * FROM final ORDER BY store_id
