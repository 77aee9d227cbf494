-- Each store's name from the stores feed (store_attributes): the stores that have one.
WITH named AS (
    SELECT store_id, name FROM store_attributes WHERE name IS NOT NULL
),

final AS (
    SELECT store_id, name FROM named
)

SELECT * FROM final
