-- The observation_days rows (migrations 009, 015) that one load's new polls change
-- (derived.summarise_load writes them). Each (store, day) pair the load touches combines
-- its stored row with the load's own row when the load's observations all come after the
-- stored ones (hourly loads, fresh files): `interleaved` is false. Otherwise (a file that
-- fills in the middle of a day) the pair is recomputed from its polls instead
-- (derived/summarise_days.sql). Polls it left unclassified (older than the interval cache)
-- count as observations once classified (derived.classify_pending recomputes them). Only
-- the load's rows (its load_id's zone maps) and the stored rows of its days are read.
-- Parameter: load_id.
-- day_polls is read twice (day_tops, day_runs) and scanned twice instead of materialised:
-- the same CPU, and at 140,000 stores 0.48 GB less at the load's peak (docs/PERFORMANCE.md).
WITH day_polls AS NOT MATERIALIZED (
    SELECT
        store_key,
        (epoch_us(timestamp_utc) // 86400000000)::INTEGER AS day,
        epoch_us(timestamp_utc) * 2 + is_active::BIGINT AS k,
        coalesce(in_hours, false) AS in_hours
    FROM store_status
    WHERE load_id = ?
),
