-- Give every store id in the temp table `staged` that has no key yet a new one.
WITH new_ids AS (
    SELECT DISTINCT store_id
    FROM staged
    WHERE reason IS NULL
),

final AS (
    SELECT n.store_id
    FROM new_ids AS n
    ANTI JOIN stores AS s USING (store_id)
)

INSERT INTO stores
SELECT nextval('store_key_seq'), store_id FROM final
