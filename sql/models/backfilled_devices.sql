-- The devices of the step's new state that dim_devices last saw on or after
-- their first new date: the step's dates go back into their history (an
-- out-of-order backfill), so they are recomputed. Run only when
-- later_dates says some date after the first of the step's is built.
-- Parameters: none.
-- Grain: one row per device_id.
-- Reads: new_device_days, dim_devices.
SELECT n.device_id
FROM (
  SELECT device_id, MIN(event_date) AS first_date
  FROM new_device_days
  GROUP BY device_id
) AS n
JOIN dim_devices AS d ON d.device_id = n.device_id
WHERE DATE(d.last_seen_at) >= n.first_date
