-- The state_device_days rows of the recomputed devices, all dates, with the
-- step's dates as the step rebuilt them. Run only when some device is
-- recomputed: it reads the whole state table.
-- Parameters: none.
-- Grain: one row per recomputed device_id and event_date.
-- Reads: state_device_days (every date but the step's), new_device_days,
-- touched_devices, step_dates.
SELECT s.*
FROM state_device_days AS s
WHERE s.event_date NOT IN (SELECT event_date FROM step_dates)
  AND s.device_id IN (SELECT device_id FROM touched_devices WHERE recompute)
UNION ALL
SELECT n.*
FROM new_device_days AS n
WHERE n.device_id IN (SELECT device_id FROM touched_devices WHERE recompute)
