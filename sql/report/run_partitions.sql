-- What one batch run wrote, per table: the partitions it replaced, emptied
-- or failed to replace; for the partitions whose rows it counted, the rows
-- counted against the rows read back after the commit (the
-- reconciliation's second half); and the rows of the partitions the
-- warehouse derives (dimensions, sessions resolved anew), which have no
-- count.
--
-- Parameters: @run_id (STRING): the run (run_partitions.run_id).
-- Grain: one row per table the run wrote.
SELECT
  table_name,
  COUNT(*) AS partitions,
  COUNT(CASE WHEN status = 'failed' THEN 1 END) AS failed_partitions,
  CAST(SUM(rows_counted) AS INT64) AS rows_counted,
  CAST(SUM(CASE WHEN rows_counted IS NOT NULL THEN rows_written END) AS INT64) AS rows_read_back,
  COUNT(CASE WHEN rows_counted IS NOT NULL AND rows_counted <> rows_written THEN 1 END) AS mismatched_partitions,
  CAST(SUM(CASE WHEN rows_counted IS NULL THEN rows_written END) AS INT64) AS derived_rows
FROM run_partitions
WHERE run_id = @run_id
GROUP BY table_name
ORDER BY table_name
