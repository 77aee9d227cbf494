-- Version 17: where each report job was started from, for the Reports page's History:
--   reports.source : 'dashboard' | 'api' | 'cli' (jobs.trigger_report's source); NULL for
--                    the jobs recorded before this version (shown as unknown).
ALTER TABLE reports ADD COLUMN source VARCHAR;
