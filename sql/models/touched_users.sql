-- The users whose dim_users row may change, and how. A user of a new run of
-- an appended device is appended: its first and last seen and device count
-- combine with its old row. A user with a period on a recomputed device
-- (before or after the step), or a run on one, is recomputed from all its
-- runs on every device (with @rebuild, every device is recomputed, so every
-- user is).
-- Parameters: none.
-- Grain: one row per touched user_key.
-- Reads: touched_devices, new_device_user_runs, old_bridge.
WITH touched AS (
  SELECT r.user_key, t.recompute
  FROM new_device_user_runs AS r
  JOIN touched_devices AS t ON t.device_id = r.device_id
  UNION ALL
  SELECT b.user_key, TRUE AS recompute
  FROM old_bridge AS b
  JOIN touched_devices AS t ON t.device_id = b.device_id
  WHERE t.recompute
)
SELECT user_key, MAX(CASE WHEN recompute THEN 1 ELSE 0 END) = 1 AS recompute
FROM touched
GROUP BY user_key
