-- The new content of dim_device_users: the rows of the untouched devices as
-- they were, and the touched devices' new bridge (with @rebuild, only the
-- latter: every device is touched).
-- Parameters: @rebuild (BOOL).
-- Grain: one row per device_id and period.
-- Reads: dim_device_users, touched_devices, new_bridge.
SELECT device_id, user_key, valid_from, valid_to
FROM dim_device_users
WHERE NOT @rebuild
  AND device_id NOT IN (SELECT device_id FROM touched_devices)
UNION ALL
SELECT device_id, user_key, valid_from, valid_to
FROM new_bridge
