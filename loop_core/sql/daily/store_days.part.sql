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
-- are computed once per zone (a few dozen zones), not per store, and a piece finds its
-- day by arithmetic and an integer join (see `guessed`), never by a zone conversion.
-- Business time without a known status (a store with no observation) is in business_us
-- only. incidents: the runs of inactive observations owning business time that day;
-- longest_incident_us: the most of that day's business time one of them owns;
-- before_first_poll: the day ended before the store's first poll.

day_params AS (
    SELECT ?::INTEGER AS days
),

store_zones AS (
    SELECT
        k.store_key,
        k.store_id,
        k.first_poll,
        coalesce(z.zone, 'America/Chicago') AS zone,
        -- An integer for the joins below: joins on the zone's name cost several times more.
        dense_rank() OVER (ORDER BY coalesce(z.zone, 'America/Chicago'))::INTEGER AS zone_id
    FROM stores AS k
    LEFT JOIN store_zone((SELECT only_store FROM bounds)) AS z USING (store_id)
    WHERE k.store_key BETWEEN (SELECT lo_key FROM bounds) AND (SELECT hi_key FROM bounds)
),

-- Day 0 is the first of the last N local dates, day N - 1 today; days -1 and N are there
-- for the day lookup below and hold nothing.
zone_dates AS (
    SELECT
        zone,
        zone_id,
        unnest(range(-1, (SELECT days + 1 FROM day_params)))::INTEGER AS day_no,
        today - (SELECT days - 1 FROM day_params) AS first_date
    FROM (
        SELECT DISTINCT zone, zone_id,
               CAST(timezone(zone, (SELECT now_ts FROM bounds)) AS DATE) AS today
        FROM store_zones
    )
),

zone_days AS (
    SELECT
        zone_id,
        day_no,
        first_date + day_no AS local_date,
        epoch_us(timezone(zone, (first_date + day_no)::TIMESTAMP)) AS lo_us,
        epoch_us(timezone(zone, (first_date + day_no + 1)::TIMESTAMP)) AS hi_us
    FROM zone_dates
),

zone_first AS (
    SELECT zone_id, lo_us AS first_us FROM zone_days WHERE day_no = 0
),

-- kind 0: business time; 1: up; 2: down (own_start: the incident the time belongs to).
timed AS (
    SELECT store_key, start_us, end_us, 0 AS kind, NULL::BIGINT AS own_start
    FROM range_intervals
    UNION ALL
    SELECT store_key, start_us, end_us, CASE WHEN is_active THEN 1 ELSE 2 END,
           CASE WHEN NOT is_active THEN own_start END
    FROM spans
),

-- Clipped to the zone's first day: the range starts at the earliest zone's first day.
clipped AS (
    SELECT t.store_key, z.zone_id, greatest(t.start_us, f.first_us) AS start_us, t.end_us,
           t.kind, t.own_start, f.first_us
    FROM timed AS t
    INNER JOIN store_zones AS z USING (store_key)
    INNER JOIN zone_first AS f USING (zone_id)
    WHERE t.end_us > f.first_us
),

-- The day a piece starts in, and the day its last instant is in: days are 23 to 25 hours
-- long, so whole days of 24 hours from day 0 land on that day or the one beside it, and one
-- comparison with the guessed day's bounds corrects that. Integer joins, no zone
-- conversion per piece.
guessed AS (
    SELECT
        *,
        ((start_us - first_us) // 86400000000)::INTEGER AS first_guess,
        ((end_us - 1 - first_us) // 86400000000)::INTEGER AS last_guess
    FROM clipped
),

placed AS (
    SELECT
        g.store_key, g.zone_id, g.start_us, g.end_us, g.kind, g.own_start,
        g.first_guess - (g.start_us < a.lo_us)::INTEGER + (g.start_us >= a.hi_us)::INTEGER
            AS first_day,
        g.last_guess - (g.end_us - 1 < b.lo_us)::INTEGER + (g.end_us - 1 >= b.hi_us)::INTEGER
            AS last_day
    FROM guessed AS g
    INNER JOIN zone_days AS a ON a.zone_id = g.zone_id AND a.day_no = g.first_guess
    INNER JOIN zone_days AS b ON b.zone_id = g.zone_id AND b.day_no = g.last_guess
),

pieces AS (
    SELECT store_key, first_day AS day_no, kind, own_start, end_us - start_us AS us
    FROM placed
    WHERE first_day = last_day
    UNION ALL
    -- The few that run past a local midnight (overnight hours, 24x7 stores), day by day.
    SELECT p.store_key, d.day_no, p.kind, p.own_start,
           least(p.end_us, d.hi_us) - greatest(p.start_us, d.lo_us)
    FROM placed AS p
    INNER JOIN zone_days AS d
        ON d.zone_id = p.zone_id AND d.day_no BETWEEN p.first_day AND p.last_day
    WHERE p.first_day < p.last_day
),

-- One pass over the pieces: per day, kind and (for downtime) incident.
summed AS (
    SELECT store_key, day_no, kind, own_start, sum(us) AS us
    FROM pieces
    GROUP BY ALL
),

per_day AS (
    SELECT
        store_key,
        day_no,
        coalesce(sum(us) FILTER (WHERE kind = 0), 0) AS business_us,
        coalesce(sum(us) FILTER (WHERE kind = 1), 0) AS up_us,
        coalesce(sum(us) FILTER (WHERE kind = 2), 0) AS down_us,
        count(*) FILTER (WHERE kind = 2) AS incidents,
        coalesce(max(us) FILTER (WHERE kind = 2), 0) AS longest_incident_us
    FROM summed
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
        coalesce(p.incidents, 0)::BIGINT AS incidents,
        coalesce(p.longest_incident_us, 0)::BIGINT AS longest_incident_us,
        -- The rules give a store's first observation every instant before it; a status
        -- page says when a day ended before the store was first polled at all.
        d.hi_us <= epoch_us(z.first_poll) AS before_first_poll
    FROM store_zones AS z
    INNER JOIN zone_days AS d
        ON d.zone_id = z.zone_id AND d.day_no BETWEEN 0 AND (SELECT days - 1 FROM day_params)
    LEFT JOIN per_day AS p ON p.store_key = z.store_key AND p.day_no = d.day_no
)

SELECT * FROM final ORDER BY store_id, local_date
