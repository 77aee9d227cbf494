-- When the stored history starts, for the weekly trend (loop_core/context.py): the first
-- poll of any store. stores.first_poll counts archived polls too (it is never lowered
-- by compaction), so a week before it has no figures at all.
WITH firsts AS (
    SELECT first_poll FROM stores
),

final AS (
    SELECT min(first_poll) AS history_from FROM firsts
)

SELECT * FROM final
