-- The state_device_user_runs rows of the recomputed devices and of the
-- recomputed users (on every device), all dates, with the step's dates as
-- the step rebuilt them. Run only when some device or user is recomputed:
-- it reads the whole state table.
-- Parameters: none.
-- Grain: one row per run.
-- Reads: state_device_user_runs (every date but the step's),
-- new_device_user_runs, touched_devices, touched_users, step_dates.
WITH runs AS (
  SELECT *
  FROM state_device_user_runs
  WHERE event_date NOT IN (SELECT event_date FROM step_dates)
  UNION ALL
  SELECT *
  FROM new_device_user_runs
)
SELECT *
FROM runs
WHERE device_id IN (SELECT device_id FROM touched_devices WHERE recompute)
  OR user_key IN (SELECT user_key FROM touched_users WHERE recompute)
