-- The load log for the Data page, newest first. Parameter: limit.
WITH stg_loads AS (
    SELECT
        load_id,
        loaded_at,
        feed,
        file_name,
        source,
        rows_read,
        rows_loaded,
        rows_duplicate,
        rows_rejected,
        duration_s
    FROM loads
),

final AS (
    SELECT * FROM stg_loads ORDER BY load_id DESC LIMIT ?
)

SELECT * FROM final
