-- Version 2: the sync log. One row per sync run, one row per feed and run.
-- Change detection compares a file's fingerprint with the one recorded by the last
-- successful (loaded | unchanged) sync of the same feed and remote file.
CREATE SEQUENCE sync_run_id_seq START 1;

CREATE TABLE sync_runs (
    run_id        BIGINT PRIMARY KEY,
    source        VARCHAR NOT NULL,      -- folder | drive
    source_label  VARCHAR NOT NULL,      -- e.g. "folder /srv/feeds", "Google Drive as sa@…"
    triggered_by  VARCHAR NOT NULL,      -- schedule | manual | cli
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,           -- NULL while running
    outcome       VARCHAR NOT NULL,      -- running | ok | partial | failed
    message       VARCHAR
);

CREATE TABLE sync_files (
    run_id         BIGINT NOT NULL,
    feed           VARCHAR NOT NULL,     -- store_status | business_hours | timezones
    remote_id      VARCHAR,              -- Drive file id, or the file's path; NULL if never found
    remote_name    VARCHAR,
    fingerprint    VARCHAR,              -- "md5:…", "modified:…" (Drive) or "sha256:…" (folder)
    md5_checksum   VARCHAR,
    modified_time  TIMESTAMPTZ,
    size_bytes     BIGINT,
    outcome        VARCHAR NOT NULL,     -- loaded | unchanged | skipped | failed
    rows_loaded    BIGINT NOT NULL,
    rows_rejected  BIGINT NOT NULL,
    load_id        BIGINT,               -- the loads row this file created (loaded only)
    message        VARCHAR NOT NULL,
    finished_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, feed)
);
