-- Version 8: alerts (SPEC "Alerts"). Every message goes into an outbox with one delivery
-- row per channel, so nothing is lost: a failed delivery is retried with backoff at later
-- evaluations. alert_incidents remembers which incidents were announced, so one incident
-- raises exactly one opened message however often it is evaluated.
CREATE SEQUENCE alert_message_id_seq START 1;

CREATE TABLE alert_messages (
    message_id  BIGINT PRIMARY KEY,
    kind        VARCHAR NOT NULL,     -- opened | reminder | recovered | grouped | stale | test
    store_ids   VARCHAR[] NOT NULL,
    title       VARCHAR NOT NULL,
    body        VARCHAR NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE alert_deliveries (
    message_id       BIGINT NOT NULL,
    channel          VARCHAR NOT NULL,  -- a digest of the channel's URL (never the URL itself)
    channel_label    VARCHAR NOT NULL,  -- the URL without its secrets, for people
    attempts         INTEGER NOT NULL,
    last_error       VARCHAR,
    next_attempt_at  TIMESTAMPTZ,       -- NULL once delivered
    delivered_at     TIMESTAMPTZ,
    PRIMARY KEY (message_id, channel)
);

CREATE TABLE alert_incidents (
    store_id              VARCHAR NOT NULL,
    started_at            TIMESTAMPTZ NOT NULL,  -- the incident's first business instant
    opened_message_id     BIGINT NOT NULL,
    notified_downtime_us  BIGINT NOT NULL,       -- its downtime at the last opened/reminder
    recovered_message_id  BIGINT,
    PRIMARY KEY (store_id, started_at)
);

-- One row while the feed is stale and its alert was sent.
CREATE TABLE alert_feed_state (
    stale_since  TIMESTAMPTZ NOT NULL
);
