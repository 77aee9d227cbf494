-- Rejected rows with where they came from and why, newest load first. Cells that a
-- spreadsheet would run as a formula (= + - @, tab, CR first) get a leading quote, as in
-- the report CSV, because the raw text is untrusted input. Parameter: limit (NULL = all).
WITH stg_rejects AS (
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
        CASE WHEN left(file_name, 1) IN ('=', '+', '-', '@', chr(9), chr(13))
             THEN '''' || file_name ELSE file_name END AS file_name,
        line,
        CASE WHEN left(raw, 1) IN ('=', '+', '-', '@', chr(9), chr(13))
             THEN '''' || raw ELSE raw END AS raw,
        reason
    FROM stg_rejects
    ORDER BY load_id DESC, line
    LIMIT ?
)

SELECT * FROM final
