-- Version 5: classify each poll once, when it is loaded, instead of in every report.
--   stores.hours_hash      : the store's effective hours and zone (macro hours_hashes);
--                            a snapshot load reclassifies only stores whose hash changed.
--   store_status.in_hours  : the poll lies inside its store's business hours, i.e. it is
--                            an observation (SPEC). NULL = not classified yet.
-- Existing rows start NULL; derived.ensure_current() fills them when the file is opened.
ALTER TABLE stores ADD COLUMN hours_hash UBIGINT;
ALTER TABLE store_status ADD COLUMN in_hours BOOLEAN;

CREATE OR REPLACE VIEW store_polls AS
SELECT k.store_id, s.is_active, s.timestamp_utc, s.in_hours, s.load_id
FROM store_status AS s
INNER JOIN stores AS k USING (store_key);

-- What the classification was computed with (DuckDB's zone rules change with its tzdata).
CREATE TABLE derived_state (
    rules_version  VARCHAR NOT NULL
);
