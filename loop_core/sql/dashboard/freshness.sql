-- Data freshness for the sidebar: the latest poll (the report's default "now"), the
-- latest load, and the size of the data (archived polls included: compaction moves polls,
-- it changes no count). One row. Parameter: the sample's load source.
WITH polls AS (
    SELECT
        max(timestamp_utc) AS latest_poll,
        count(*) + (SELECT coalesce(sum(polls), 0) FROM archive_files) AS polls,
        -- Every store ever polled has a key (loads give keys to polled ids only).
        (SELECT count(*) FROM stores) AS stores
    FROM store_status
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
        polls.stores,
        load_log.data_version,
        load_log.last_load,
        coalesce(load_log.sample_only, false) AS sample_only
    FROM polls, load_log
)

SELECT * FROM final
