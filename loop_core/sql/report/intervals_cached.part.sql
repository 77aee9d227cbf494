-- Step 1, when the interval cache covers the asked range (observations.py checks): the
-- same rows as report/intervals.part.sql, read from interval_cache (derived.py) instead of computed.
-- Follows report/params.part.sql.
final AS (
    SELECT k.store_key, c.start_us, c.end_us
    FROM interval_cache AS c
    INNER JOIN stores AS k USING (hours_hash)
    WHERE
        c.end_us > (SELECT epoch_us(from_ts) FROM bounds)
        AND c.start_us < (SELECT epoch_us(to_ts) FROM bounds)
        AND ((SELECT only_store FROM bounds) IS NULL OR k.store_id = (SELECT only_store FROM bounds))
)

SELECT * FROM final
