-- Version 14: the optional stores feed (SPEC "Feeds"): descriptive attributes of a store.
-- A snapshot like business hours: each load replaces the table. Never changes a report
-- figure: no report, timeline or status query reads it. Empty fields are NULL.
CREATE TABLE store_attributes (
    store_id        VARCHAR NOT NULL,
    name            VARCHAR,
    region          VARCHAR,
    brand           VARCHAR,
    hourly_revenue  DOUBLE,            -- >= 0, in the chain's currency
    uptime_target   DOUBLE,            -- a percentage in (0, 100]
    load_id         BIGINT NOT NULL,
    CHECK (hourly_revenue IS NULL OR hourly_revenue >= 0),
    CHECK (uptime_target IS NULL OR (uptime_target > 0 AND uptime_target <= 100))
);
