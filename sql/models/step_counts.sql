-- How much of the history the step must read: the recomputed devices and
-- users, the pages the step's dates no longer have, and the users whose
-- state_user_days rows of the step's dates are replaced. The step runs the
-- models that read whole state tables (recompute_device_days,
-- recompute_runs, surviving_pages, recompute_user_days) only when these are
-- not zero.
-- Parameters: none.
-- Grain: one row.
-- Reads: touched_devices, touched_users, removed_pages, old_user_days.
SELECT
  (SELECT COUNT(*) FROM touched_devices) AS touched_devices,
  (SELECT COUNT(*) FROM touched_devices WHERE recompute) AS recompute_devices,
  (SELECT COUNT(*) FROM touched_users WHERE recompute) AS recompute_users,
  (SELECT COUNT(*) FROM removed_pages) AS removed_pages,
  (SELECT COUNT(*) FROM old_user_days) AS replaced_user_days
