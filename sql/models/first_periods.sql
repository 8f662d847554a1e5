-- The user of the first period of each tied device: the user_key of its
-- first run in (event_date, run_start_at, run_start_event_id) order. Run
-- only when some device is tied: it reads the whole state table.
-- Parameters: none.
-- Grain: one row per tied device_id.
-- Reads: state_device_user_runs (every date but the step's),
-- new_device_user_runs, tied_devices, step_dates.
WITH runs AS (
  SELECT device_id, user_key, event_date, run_start_at, run_start_event_id
  FROM state_device_user_runs
  WHERE event_date NOT IN (SELECT event_date FROM step_dates)
    AND device_id IN (SELECT device_id FROM tied_devices)
  UNION ALL
  SELECT device_id, user_key, event_date, run_start_at, run_start_event_id
  FROM new_device_user_runs
  WHERE device_id IN (SELECT device_id FROM tied_devices)
)
SELECT device_id, user_key
FROM (
  SELECT device_id, user_key,
    ROW_NUMBER() OVER (PARTITION BY device_id ORDER BY event_date, run_start_at, run_start_event_id) AS i
  FROM runs
) AS r
WHERE i = 1
