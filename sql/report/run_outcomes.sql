-- Where one batch run's input records went: the records of each outcome
-- (events, duplicates, bots, dead_letter, out_of_range, unwritable, erased) by bot
-- rule or dead-letter reason, and each row's share of the run's input
-- records. The rows add up to input_records when the run reconciled.
--
-- Parameters: @run_id (STRING): the run (run_outcomes.run_id).
-- Grain: one row per outcome and detail ('' for an outcome without one),
-- input_records itself excluded; outcomes in the pipeline's order.
WITH run AS (
  SELECT outcome, COALESCE(detail, '') AS detail, records
  FROM run_outcomes
  WHERE run_id = @run_id
),
input AS (
  SELECT CAST(SUM(records) AS INT64) AS records
  FROM run
  WHERE outcome = 'input_records'
)
SELECT
  run.outcome,
  run.detail,
  run.records,
  ROUND(run.records / NULLIF(input.records, 0), 4) AS share
FROM run
CROSS JOIN input
WHERE run.outcome <> 'input_records'
ORDER BY
  CASE run.outcome
    WHEN 'events' THEN 1
    WHEN 'duplicates' THEN 2
    WHEN 'bots' THEN 3
    WHEN 'dead_letter' THEN 4
    WHEN 'out_of_range' THEN 5
    WHEN 'unwritable' THEN 6
    WHEN 'erased' THEN 7
    ELSE 8
  END,
  run.outcome,
  run.records DESC,
  run.detail
