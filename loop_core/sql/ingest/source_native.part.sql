-- Fast path of a load: DuckDB's own CSV reader in strict mode. A malformed line makes it
-- fail, and then (like when any row is rejected) the load re-reads the file with the
-- careful reader (loop_core/csv_records.py), which keeps every record's line and raw text.
-- {fields} lists f1..fN.
-- Parameters: path, columns (a struct of column name -> 'VARCHAR', in header order).
WITH source AS (
    SELECT
        NULL::VARCHAR AS raw, NULL::BIGINT AS line, NULL::VARCHAR AS pre_reason,
        NULL::BIGINT AS n_fields, {fields}
    FROM read_csv(
        ?, header = true, columns = ?, auto_detect = false, delim = ',', quote = '"',
        escape = '"', strict_mode = true
    )
),
