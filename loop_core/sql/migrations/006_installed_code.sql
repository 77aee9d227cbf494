-- Version 6: remember which macros.sql and zone list are installed, so that opening a file
-- does not rewrite them every time (and a report's process does not write at all).
CREATE TABLE installed_code (
    fingerprint  VARCHAR NOT NULL
);
