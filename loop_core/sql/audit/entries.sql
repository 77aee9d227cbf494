-- The audit log, newest first, for the Data page and its CSV download. Parameters: whether
-- the rows go to a CSV file (then the texts that come from people and files, actor and
-- subject and details, get the spreadsheet guard, macro spreadsheet_safe, as in the
-- report CSV; the page shows them as they are), and the limit (NULL = all).
WITH params AS (
    SELECT ?::BOOLEAN AS for_csv
),

stg_audit AS (
    SELECT audit_id, happened_at, actor, action, subject, details FROM audit_log
),

final AS (
    SELECT
        audit_id,
        happened_at,
        CASE WHEN (SELECT for_csv FROM params) THEN spreadsheet_safe(actor) ELSE actor END
            AS actor,
        action,
        CASE WHEN (SELECT for_csv FROM params) THEN spreadsheet_safe(subject) ELSE subject END
            AS subject,
        CASE WHEN (SELECT for_csv FROM params) THEN spreadsheet_safe(details) ELSE details END
            AS details
    FROM stg_audit
    ORDER BY audit_id DESC
    LIMIT ?
)

SELECT * FROM final
