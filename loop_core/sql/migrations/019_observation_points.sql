-- Version 19: the observations a report's window needs, per store and UTC day, so that
-- the report and the fleet's hours read a few rows per store and day instead of every
-- poll of the week (report/observations.part.sql; docs/PERFORMANCE.md, 140,000 stores).
-- A store's observations of one UTC day, in the window's order, keep:
--   the day's first and last observation, and
--   every observation whose previous or next observation of the day has the other status.
-- What is dropped lies inside a run of one status, between two kept observations of that
-- status: the status changes, their midpoints and each store's first and last status are
-- those of all the observations, so the report's figures are the same to the microsecond.
--   day : the UTC day number (days since 1970-01-01)
--   k   : epoch_us * 2 + is_active, as everywhere (at one instant the active poll sorts last)
-- Derived from store_status and kept in step with it like observation_days (derived.py,
-- derived/day_points.part.sql); rows are written in day order. Clearing derived_state
-- makes the next open compute it for every stored poll (derived.ensure_current).
CREATE TABLE observation_points (
    store_key  INTEGER NOT NULL,
    day        INTEGER NOT NULL,
    k          BIGINT NOT NULL
);
DELETE FROM derived_state;
