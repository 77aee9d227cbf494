-- Every line of a feed file after the header, with its 1-based line number in the file.
-- Each line is read whole (one VARCHAR column, no quoting) so that a malformed row can be
-- kept aside verbatim with its line number instead of stopping the load.
-- Parameters: path.
WITH raw_lines AS (
    SELECT row_number() OVER () + 1 AS line, raw
    FROM read_csv(
        ?, header = false, columns = {'raw': 'VARCHAR'}, delim = chr(31),
        quote = '', escape = '', auto_detect = false, skip = 1
    )
),

final AS (
    SELECT
        line,
        raw,
        -- Fields are trimmed and may be wrapped in double quotes (spreadsheet exports).
        list_transform(string_split(raw, ','), lambda f: trim(trim(trim(f), '"'))) AS fields
    FROM raw_lines
    WHERE raw IS NOT NULL AND trim(raw) <> ''
)

SELECT * FROM final
