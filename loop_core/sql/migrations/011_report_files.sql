-- Version 11: a completed report's CSV lives in a file beside the database
-- (reports/<report_id>.csv, loop_core/jobs.py), not in a text column: /get_report and the
-- Reports page serve the file, and old reports expire ([reports] keep_count, keep_days).
--   reports.status      : Running | Complete | Failed | Expired (the CSV was removed; the
--                         row and its figures stay, "expired: generate it again")
--   reports.csv_bytes   : the file's size, recorded once the file is in place
--   reports.expired_at  : when the report expired
-- CSVs stored by earlier versions wait in report_csv_pending: SQL cannot write one file per
-- row, so jobs.recover() writes them out when the database is opened, one file at a time,
-- and deletes each pending row only once its file is in place (nothing is lost).
ALTER TABLE reports ADD COLUMN csv_bytes BIGINT;
ALTER TABLE reports ADD COLUMN expired_at TIMESTAMPTZ;

CREATE TABLE report_csv_pending (
    report_id  VARCHAR PRIMARY KEY,
    csv        VARCHAR NOT NULL
);
INSERT INTO report_csv_pending
SELECT report_id, csv FROM reports WHERE status = 'Complete' AND csv IS NOT NULL;

ALTER TABLE reports DROP COLUMN csv;
