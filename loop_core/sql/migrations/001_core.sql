-- Version 1: the three feeds, their load log and rejects, and report jobs.
-- Store ids are opaque strings (19-digit numbers or UUIDs): always VARCHAR.
CREATE SEQUENCE load_id_seq START 1;

-- One row per file that changed the database (an identical re-load is not recorded).
CREATE TABLE loads (
    load_id         BIGINT PRIMARY KEY,
    feed            VARCHAR NOT NULL,      -- store_status | business_hours | timezones
    file_name       VARCHAR NOT NULL,
    sha256          VARCHAR NOT NULL,
    source          VARCHAR NOT NULL,      -- cli | upload | folder | drive | sample ...
    rows_read       BIGINT NOT NULL,
    rows_loaded     BIGINT NOT NULL,
    rows_duplicate  BIGINT NOT NULL,
    rows_rejected   BIGINT NOT NULL,
    loaded_at       TIMESTAMPTZ NOT NULL,
    duration_s      DOUBLE NOT NULL
);

-- Every store id ever polled gets a small integer key: the report partitions, joins and
-- sorts millions of polls by store, and integers do that several times faster than ids.
CREATE SEQUENCE store_key_seq START 1;
CREATE TABLE stores (
    store_key  INTEGER PRIMARY KEY,
    store_id   VARCHAR NOT NULL UNIQUE
);

-- Polls: appended, exact duplicates skipped. status is normalised to a boolean.
CREATE TABLE store_status (
    store_id       VARCHAR NOT NULL,
    store_key      INTEGER NOT NULL,
    is_active      BOOLEAN NOT NULL,
    timestamp_utc  TIMESTAMPTZ NOT NULL,
    load_id        BIGINT NOT NULL
);

-- Snapshots: each load replaces the table's previous content.
CREATE TABLE business_hours (
    store_id          VARCHAR NOT NULL,
    day_of_week       TINYINT NOT NULL,    -- 0 = Monday ... 6 = Sunday
    start_time_local  TIME NOT NULL,
    end_time_local    TIME NOT NULL,
    load_id           BIGINT NOT NULL
);

CREATE TABLE timezones (
    store_id      VARCHAR NOT NULL,
    timezone_str  VARCHAR NOT NULL,
    load_id       BIGINT NOT NULL
);

-- Rows that could not be read, kept aside with where they came from and why.
CREATE TABLE rejects (
    load_id    BIGINT NOT NULL,
    feed       VARCHAR NOT NULL,
    file_name  VARCHAR NOT NULL,
    line       BIGINT NOT NULL,            -- 1-based line in the file (the header is line 1)
    raw        VARCHAR NOT NULL,
    reason     VARCHAR NOT NULL
);

CREATE TABLE reports (
    report_id        VARCHAR PRIMARY KEY,
    status           VARCHAR NOT NULL,     -- Running | Complete | Failed
    created_at       TIMESTAMPTZ NOT NULL,
    finished_at      TIMESTAMPTZ,
    as_of_requested  TIMESTAMPTZ,          -- what the caller asked for (NULL = latest poll)
    as_of            TIMESTAMPTZ,          -- the "now" the report used
    row_count        BIGINT,
    duration_s       DOUBLE,
    error            VARCHAR,
    csv              VARCHAR
);
