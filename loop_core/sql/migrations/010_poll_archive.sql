-- Version 10: retention (archive.py, compaction.py). Polls older than [retention] polls_days
-- move to Parquet files under archive/polls/ beside the database, a month per folder
-- (month=YYYY-MM). Only the files listed here belong to the archive: a file written by a
-- compaction that crashed before its transaction committed is not listed, so no poll is
-- ever read twice, and the next open deletes it.
CREATE TABLE archive_files (
    file           VARCHAR PRIMARY KEY,   -- relative to the archive folder
    month          DATE NOT NULL,         -- the first day of the UTC month its polls are in
    polls          BIGINT NOT NULL,
    first_poll     TIMESTAMPTZ NOT NULL,
    last_poll      TIMESTAMPTZ NOT NULL,
    bytes          BIGINT NOT NULL,
    rules_version  VARCHAR NOT NULL,      -- what its in_hours flags were computed with
    archived_at    TIMESTAMPTZ NOT NULL
);

-- What later figures need of the archived polls, per store, as of the end of each archived
-- month (all archived polls up to then, not only that month's): its last poll, its last
-- observation of each status, and the first observation of its last run. With these few
-- polls in place of the archive's, the report, timelines, incidents and status of any
-- later range come out exactly the same (archive.py says why). hours_hash: the store's
-- hours the in_hours flags were computed with; a store whose hours changed since reads
-- its archived polls instead, until the next compaction rebuilds its rows.
CREATE TABLE archive_summary (
    month          DATE NOT NULL,
    store_key      INTEGER NOT NULL,
    hours_hash     UBIGINT NOT NULL,
    is_active      BOOLEAN NOT NULL,
    in_hours       BOOLEAN NOT NULL,
    timestamp_utc  TIMESTAMPTZ NOT NULL
);

-- One row once anything was archived: the rules version archive_summary was built with,
-- and a random prefix of this database's file names (several databases may share a folder).
CREATE TABLE archive_state (
    summary_rules_version  VARCHAR NOT NULL,
    file_prefix            VARCHAR NOT NULL
);
