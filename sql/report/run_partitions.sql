-- What one batch run wrote, per table: the partitions it replaced, emptied
-- or failed to replace, and the rows it counted for them against the rows
-- read back after the commit (the reconciliation's second half). Rows the
-- warehouse derives (dimensions, sessions resolved anew) have no count.
--
-- Parameters: @run_id (STRING): the run (run_partitions.run_id).
-- Grain: one row per table the run wrote.
SELECT
  table_name,
  COUNT(*) AS partitions,
  COUNT(CASE WHEN status = 'failed' THEN 1 END) AS failed_partitions,
  CAST(SUM(rows_counted) AS INT64) AS rows_counted,
  CAST(SUM(rows_written) AS INT64) AS rows_written,
  COUNT(CASE WHEN rows_counted IS NOT NULL AND rows_counted <> rows_written THEN 1 END) AS mismatched_partitions
FROM run_partitions
WHERE run_id = @run_id
GROUP BY table_name
ORDER BY table_name
