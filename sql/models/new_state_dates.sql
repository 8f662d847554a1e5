-- The new state_dates partitions of the step's dates: built by this run.
-- Parameters: @run_id (STRING).
-- Grain: one row per event_date.
-- Reads: step_dates.
SELECT event_date, 'built' AS status, @run_id AS run_id
FROM step_dates
