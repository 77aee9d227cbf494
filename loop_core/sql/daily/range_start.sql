-- The first instant the status page's days need: the earliest UTC start, over the zones of
-- the stores asked for, of the first of the last N store-local dates up to now (today
-- included). loop_core/daily.py passes it as the range start of report/observations.part.sql,
-- so no poll is read earlier than a day needs.
-- Parameters: now, days (N), only_store (NULL = all).
WITH params AS (
    SELECT ?::TIMESTAMPTZ AS now_ts, ?::INTEGER AS days, ?::VARCHAR AS only_store
),

zones AS (
    SELECT DISTINCT coalesce(z.zone, 'America/Chicago') AS zone
    FROM stores AS k
    LEFT JOIN store_zone((SELECT only_store FROM params)) AS z USING (store_id)
    WHERE (SELECT only_store FROM params) IS NULL OR k.store_id = (SELECT only_store FROM params)
),

final AS (
    SELECT min(timezone(
        zone,
        (CAST(timezone(zone, p.now_ts) AS DATE) - (p.days - 1))::TIMESTAMP
    )) AS range_start
    FROM zones, params AS p
)

SELECT range_start FROM final
