-- The new dim_device_users rows of the touched devices. A device's bridge is
-- its runs in (event_date, run_start_at, run_start_event_id) order, which is
-- event order because event_date is the date of event_time, with
-- consecutive runs of one user merged into one period: a period starts at
-- its first run and ends (valid_to, exclusive) where the next period
-- starts; the last period is open (valid_to NULL). A recomputed device's
-- bridge is built from all its runs. An appended device keeps its closed
-- periods as they were and continues its open period with its new runs:
-- the new runs come after everything it had.
-- Parameters: none.
-- Grain: one row per touched device_id and period.
-- Reads: touched_devices, recompute_runs, new_device_user_runs,
-- old_bridge.
WITH sequence AS (
  -- part orders an appended device's open period before its new runs.
  SELECT r.device_id, r.user_key, 1 AS part, r.event_date, r.run_start_at AS start_at, r.run_start_event_id AS start_event_id
  FROM recompute_runs AS r
  JOIN touched_devices AS t ON t.device_id = r.device_id AND t.recompute
  UNION ALL
  SELECT r.device_id, r.user_key, 1 AS part, r.event_date, r.run_start_at, r.run_start_event_id
  FROM new_device_user_runs AS r
  JOIN touched_devices AS t ON t.device_id = r.device_id AND NOT t.recompute
  UNION ALL
  SELECT b.device_id, b.user_key, 0 AS part, DATE(b.valid_from), b.valid_from, ''
  FROM old_bridge AS b
  JOIN touched_devices AS t ON t.device_id = b.device_id AND NOT t.recompute
  WHERE b.valid_to IS NULL
),
starts AS (
  SELECT device_id, user_key, part, event_date, start_at, start_event_id
  FROM (
    SELECT device_id, user_key, part, event_date, start_at, start_event_id,
      LAG(user_key) OVER (PARTITION BY device_id ORDER BY part, event_date, start_at, start_event_id) AS previous_user_key
    FROM sequence
  ) AS s
  WHERE previous_user_key IS DISTINCT FROM user_key
)
SELECT device_id, user_key, start_at AS valid_from,
  LEAD(start_at) OVER (PARTITION BY device_id ORDER BY part, event_date, start_at, start_event_id) AS valid_to
FROM starts
UNION ALL
SELECT b.device_id, b.user_key, b.valid_from, b.valid_to
FROM old_bridge AS b
JOIN touched_devices AS t ON t.device_id = b.device_id AND NOT t.recompute
WHERE b.valid_to IS NOT NULL
