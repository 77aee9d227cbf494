-- The row source of the poll query: one row per (store, hour slot), numbered.
--
-- Parameter: $n = stores * hours. range() is scanned by one thread only, a table by
-- all of them, and the poll query's cost (hashing, formatting, CSV writing) is per row:
-- materialising the numbers (8 bytes a row) buys the parallelism.
CREATE OR REPLACE TEMP TABLE sample_slots AS
SELECT range AS r
FROM range($n)
