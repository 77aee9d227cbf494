-- Version 12: the optional special-hours feed (SPEC "Special hours"): holidays, shortened
-- and extended days. A snapshot like business hours: each load replaces the table. On a
-- store's local date with rows here, only these rows start business intervals; a row
-- without times (both NULL) means closed that day. The store's hours hash (derived.py)
-- includes these rows, so stores share cached intervals only when their special dates agree.
CREATE TABLE special_hours (
    store_id          VARCHAR NOT NULL,
    local_date        DATE NOT NULL,       -- the store's local date
    start_time_local  TIME,                -- NULL together with end_time_local: closed
    end_time_local    TIME,
    load_id           BIGINT NOT NULL,
    CHECK ((start_time_local IS NULL) = (end_time_local IS NULL))
);
