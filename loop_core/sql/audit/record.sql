-- Appends one audit entry. Parameters: actor, action, subject, details (JSON text).
WITH stg_entry AS (
    SELECT
        ?::VARCHAR AS actor,
        ?::VARCHAR AS action,
        ?::VARCHAR AS subject,
        ?::VARCHAR AS details
),

final AS (
    SELECT nextval('audit_id_seq') AS audit_id, now() AS happened_at, actor, action, subject, details
    FROM stg_entry
)

INSERT INTO audit_log SELECT * FROM final RETURNING audit_id
