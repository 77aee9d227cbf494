-- The end of derived/summarise_days.sql after derived/day_rows.part.sql: the rows as stored.
final AS (
    SELECT store_key, day, last_poll_key, last_key, other_key, run_key FROM day_rows
)

SELECT * FROM final
