-- The dim_device_users rows of the touched devices as they were before the
-- step: what their new bridge continues or is compared with.
-- Parameters: none.
-- Grain: one row per touched device_id and period.
-- Reads: dim_device_users, touched_devices.
SELECT device_id, user_key, valid_from, valid_to
FROM dim_device_users
WHERE device_id IN (SELECT device_id FROM touched_devices)
