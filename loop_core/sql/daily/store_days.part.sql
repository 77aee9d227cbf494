-- Per store and store-local date, the last N local dates up to now (today so far): business
-- time, up and down time and the day's incidents, from the report's own spans (follows
-- report/observations.part.sql and report/runs.part.sql over a range starting at
-- daily/range_start.sql's instant). Nothing is interpolated here: the spans are only cut at
-- local midnights, so a store's days add up to its spans over the whole range.
-- Extra parameter after those of report/observations.part.sql: days (N).
--
-- A local date d runs over [timezone(zone, d 00:00), timezone(zone, d+1 00:00)) in UTC: the
-- business-time reading of a wall time (rules/macros.sql), so an interval that opens at
-- 00:00 starts exactly on its day, and the days of one zone tile the time line. The days
-- are computed once per zone (a few dozen zones), not per store.
-- Business time without a known status (a store with no observation) is in business_us
-- only. incidents: the runs of inactive observations owning business time that day;
-- longest_incident_us: the most of that day's business time one of them owns;
-- before_first_poll: the day ended before the store's first poll.

day_params AS (
    SELECT ?::INTEGER AS days
),

store_zones AS (
    SELECT k.store_key, k.store_id, k.first_poll, coalesce(z.zone, 'America/Chicago') AS zone
    FROM stores AS k
    LEFT JOIN store_zone((SELECT only_store FROM bounds)) AS z USING (store_id)
    WHERE k.store_key BETWEEN (SELECT lo_key FROM bounds) AND (SELECT hi_key FROM bounds)
),

zone_dates AS (
    SELECT
        zone,
        unnest(generate_series(
            today - (SELECT days - 1 FROM day_params), today, INTERVAL 1 DAY
        ))::DATE AS local_date
    FROM (
        SELECT DISTINCT zone, CAST(timezone(zone, (SELECT now_ts FROM bounds)) AS DATE) AS today
        FROM store_zones
    )
),

zone_days AS (
    SELECT
        zone,
        local_date,
        epoch_us(timezone(zone, local_date::TIMESTAMP)) AS lo_us,
        epoch_us(timezone(zone, (local_date + 1)::TIMESTAMP)) AS hi_us
    FROM zone_dates
),

zone_first AS (
    SELECT zone, min(lo_us) AS first_us FROM zone_days GROUP BY zone
),

-- kind 0: business time; 1: up; 2: down (own_start: the incident the time belongs to).
timed AS (
    SELECT store_key, start_us, end_us, 0 AS kind, NULL::BIGINT AS own_start
    FROM range_intervals
    UNION ALL
    SELECT s.store_key, s.start_us, s.end_us, CASE WHEN s.is_active THEN 1 ELSE 2 END,
           CASE WHEN NOT s.is_active THEN r.own_start END
    FROM spans AS s
    -- The run a span belongs to is the last one starting at or before it.
    ASOF INNER JOIN runs AS r ON s.store_key = r.store_key AND s.start_us >= r.own_start
),

-- Clipped to the zone's first day: the range starts at the earliest zone's first day.
clipped AS (
    SELECT t.store_key, z.zone, greatest(t.start_us, f.first_us) AS start_us, t.end_us,
           t.kind, t.own_start
    FROM timed AS t
    INNER JOIN store_zones AS z USING (store_key)
    INNER JOIN zone_first AS f USING (zone)
    WHERE t.end_us > f.first_us
),

-- The day each piece starts in; almost every piece also ends in it.
started AS (
    SELECT c.*, d.local_date, d.hi_us
    FROM clipped AS c
    ASOF INNER JOIN zone_days AS d ON c.zone = d.zone AND c.start_us >= d.lo_us
),

pieces AS (
    SELECT store_key, local_date, kind, own_start, end_us - start_us AS us
    FROM started
    WHERE end_us <= hi_us
    UNION ALL
    -- The few that run past a local midnight (overnight hours, 24x7 stores), day by day.
    SELECT s.store_key, d.local_date, s.kind, s.own_start,
           least(s.end_us, d.hi_us) - greatest(s.start_us, d.lo_us)
    FROM started AS s
    INNER JOIN zone_days AS d
        ON s.zone = d.zone AND d.lo_us < s.end_us AND d.hi_us > s.start_us
    WHERE s.end_us > s.hi_us
),

per_incident AS (
    SELECT store_key, local_date, own_start, sum(us) AS us
    FROM pieces
    WHERE kind = 2
    GROUP BY ALL
),

per_day AS (
    SELECT
        store_key,
        local_date,
        coalesce(sum(us) FILTER (WHERE kind = 0), 0) AS business_us,
        coalesce(sum(us) FILTER (WHERE kind = 1), 0) AS up_us,
        coalesce(sum(us) FILTER (WHERE kind = 2), 0) AS down_us
    FROM pieces
    GROUP BY ALL
),

incident_days AS (
    SELECT store_key, local_date, count(*) AS incidents, max(us) AS longest_incident_us
    FROM per_incident
    GROUP BY ALL
),

final AS (
    SELECT
        z.store_id,
        z.zone,
        d.local_date,
        make_timestamptz(d.lo_us) AS day_start_utc,
        make_timestamptz(least(d.hi_us, epoch_us((SELECT now_ts FROM bounds)))) AS day_end_utc,
        coalesce(p.business_us, 0)::BIGINT AS business_us,
        coalesce(p.up_us, 0)::BIGINT AS up_us,
        coalesce(p.down_us, 0)::BIGINT AS down_us,
        coalesce(i.incidents, 0)::BIGINT AS incidents,
        coalesce(i.longest_incident_us, 0)::BIGINT AS longest_incident_us,
        -- The rules give a store's first observation every instant before it; a status
        -- page says when a day ended before the store was first polled at all.
        d.hi_us <= epoch_us(z.first_poll) AS before_first_poll
    FROM store_zones AS z
    INNER JOIN zone_days AS d USING (zone)
    LEFT JOIN per_day AS p USING (store_key, local_date)
    LEFT JOIN incident_days AS i USING (store_key, local_date)
)

SELECT * FROM final ORDER BY store_id, local_date
