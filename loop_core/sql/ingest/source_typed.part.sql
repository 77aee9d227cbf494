-- Fast path of a load with typed columns (polls and business hours): DuckDB's strict CSV
-- reader converts the values itself. A value it cannot convert makes it fail, and a row
-- failing the layout's native_check (ingest.py) sends the load to the careful path
-- (loop_core/csv_records.py + ingest/stage_<feed>.part.sql), which keeps each bad record's
-- line, raw text and reason.
-- {fields} lists f1..fN.
-- Parameters: path, columns (column name -> type, header order).
WITH source AS (
    SELECT {fields}
    FROM read_csv(
        ?, header = true, columns = ?, auto_detect = false, delim = ',', quote = '"',
        escape = '"', strict_mode = true
    )
),
