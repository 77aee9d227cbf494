-- Text cells made spreadsheet-safe by the one rule (macro spreadsheet_safe), in the order
-- given: for CSV files the dashboard writes from its own tables (the Fleet rollup).
-- Binds: the cells (VARCHAR[]).
WITH params AS (
    SELECT ?::VARCHAR[] AS cells
),

given AS (
    SELECT unnest(cells) AS cell, generate_subscripts(cells, 1) AS position FROM params
),

final AS (
    SELECT position, spreadsheet_safe(cell) AS cell FROM given
)

SELECT cell FROM final ORDER BY position
