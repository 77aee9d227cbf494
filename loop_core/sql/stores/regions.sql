-- Each store's region from the stores feed (store_attributes): the stores that have one.
WITH regioned AS (
    SELECT store_id, region FROM store_attributes WHERE region IS NOT NULL
),

final AS (
    SELECT store_id, region FROM regioned
)

SELECT * FROM final
