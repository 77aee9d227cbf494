-- Rejected rows with where they came from and why, newest load first. Parameters: whether
-- the rows go to a CSV file (then the untrusted texts get the spreadsheet guard, macro
-- spreadsheet_safe, as in the report CSV; the dashboard shows them as they are), and the
-- limit (NULL = all).
WITH params AS (
    SELECT ?::BOOLEAN AS for_csv
),

stg_rejects AS (
    SELECT
        r.load_id,
        l.loaded_at,
        r.feed,
        r.file_name,
        r.line,
        r.raw,
        r.reason
    FROM rejects AS r
    LEFT JOIN loads AS l USING (load_id)
),

final AS (
    SELECT
        load_id,
        loaded_at,
        feed,
        CASE WHEN (SELECT for_csv FROM params) THEN spreadsheet_safe(file_name)
             ELSE file_name END AS file_name,
        line,
        CASE WHEN (SELECT for_csv FROM params) THEN spreadsheet_safe(raw) ELSE raw END AS raw,
        reason
    FROM stg_rejects
    ORDER BY load_id DESC, line
    LIMIT ?
)

SELECT * FROM final
