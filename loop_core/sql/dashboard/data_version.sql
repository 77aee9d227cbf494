-- A number that changes whenever the data changes: every load (polls appended, or a
-- business-hours / timezones snapshot replaced) gets a new load_id. Caches key on it.
WITH final AS (
    SELECT coalesce(max(load_id), 0) AS data_version FROM loads
)

SELECT data_version FROM final
