-- One batch run's own account (runs): its dates, how many input records it
-- read and where they went in total, and its reconciliation verdict with
-- the problems behind a false one. With @run_id '' it is the latest run
-- (the last started). The run report (tools/report) opens with it.
--
-- Parameters: @run_id (STRING): the run (runs.run_id), or '' for the latest.
-- Grain: one row, or none when the warehouse has no such run.
SELECT
  run_id,
  mode,
  sink,
  dates_owned,
  first_date,
  last_date,
  started,
  finished,
  input_records,
  events,
  duplicates,
  bots,
  dead_letter,
  out_of_range,
  unwritable,
  COALESCE(erased, 0) AS erased,
  sessions,
  reconciled,
  problems
FROM runs
WHERE @run_id = '' OR run_id = @run_id
ORDER BY started DESC, run_id DESC
LIMIT 1
