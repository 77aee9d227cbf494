-- Data freshness for the sidebar: the latest poll (the report's default "now"), the
-- latest load, and the size of the data (archived polls included: compaction moves polls,
-- it changes no count). One row. Parameter: the sample's load source.
-- The latest poll and the count come from the table's statistics, and the stores from
-- `stores` (every store there has a poll): nothing here reads the polls themselves, so the
-- sidebar costs the same whatever the history (docs/PERFORMANCE.md).
WITH polls AS (
    SELECT
        max(timestamp_utc) AS latest_poll,
        count(*) + (SELECT coalesce(sum(polls), 0) FROM archive_files) AS polls
    FROM store_status
),

polled_stores AS (
    SELECT count(*) AS stores FROM stores
),

load_log AS (
    SELECT
        coalesce(max(load_id), 0)             AS data_version,
        max(loaded_at)                        AS last_load,
        count(*) > 0 AND bool_and(source = ?) AS sample_only
    FROM loads
),

final AS (
    SELECT
        polls.latest_poll,
        polls.polls,
        polled_stores.stores,
        load_log.data_version,
        load_log.last_load,
        coalesce(load_log.sample_only, false) AS sample_only
    FROM polls, polled_stores, load_log
)

SELECT * FROM final
