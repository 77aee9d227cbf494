-- Careful path of a load: every line whole, so a malformed row is kept aside verbatim.
-- {fields} lists split_part(unquoted, ',', ?) AS f1 ... fN.
-- Parameters: one field position per fN, then path.
WITH source AS (
    SELECT
        raw,
        length(unquoted) - length(replace(unquoted, ',', '')) + 1 AS n_fields,
        {fields}
    FROM feed_lines(?)
),
