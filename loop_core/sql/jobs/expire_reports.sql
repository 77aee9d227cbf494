-- Which Complete reports expire now, and marks them Expired: every one past the newest
-- keep_count completed reports, or finished before the cutoff (NULL: no age limit).
-- Their rows and figures stay; the caller removes their files (loop_core/jobs.py).
-- Binds: keep_count, cutoff, expired_at. Returns the expired report ids.
WITH params AS (
    SELECT ?::BIGINT AS keep_count, ?::TIMESTAMPTZ AS cutoff, ?::TIMESTAMPTZ AS expired_at
),
complete AS (
    SELECT
        report_id,
        finished_at,
        row_number() OVER (ORDER BY finished_at DESC, report_id DESC) AS newness
    FROM reports
    WHERE status = 'Complete'
),
expiring AS (
    SELECT c.report_id, p.expired_at
    FROM complete AS c, params AS p
    WHERE c.newness > p.keep_count OR c.finished_at < p.cutoff
)
UPDATE reports
SET status = 'Expired', expired_at = expiring.expired_at
FROM expiring
WHERE reports.report_id = expiring.report_id
RETURNING reports.report_id
