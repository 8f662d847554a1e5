-- The devices of the anonymous sessions to resolve whose first instant in
-- the new bridge has more than one period (users changing within one
-- microsecond): which of them is the device's first period is decided by
-- event_id, which the bridge does not keep (see first_periods).
-- Parameters: none.
-- Grain: one row per device_id.
-- Reads: new_dim_device_users, sessions_to_resolve.
SELECT device_id
FROM (
  SELECT device_id, valid_from, MIN(valid_from) OVER (PARTITION BY device_id) AS first_from
  FROM new_dim_device_users
  WHERE device_id IN (SELECT device_id FROM sessions_to_resolve WHERE user_key IS NULL)
) AS b
WHERE valid_from = first_from
GROUP BY device_id
HAVING COUNT(*) > 1
