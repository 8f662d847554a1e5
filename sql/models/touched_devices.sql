-- The devices whose dimension rows may change, and how each is brought up
-- to date. A device is touched when its new state of the step's dates
-- differs from its old state (a day or a run added, removed or changed);
-- with @rebuild every device with state is. A touched device is appended
-- when the step only adds dates after everything the device had: no old
-- state on the step's dates, and not backfilled (last seen before its first
-- new date); its new rows then combine its old dimension rows with its new
-- state (the daily case). Any other touched device (a re-run or an
-- out-of-order backfill changed its history) is recomputed from all its
-- state rows.
-- Parameters: @rebuild (BOOL).
-- Grain: one row per touched device_id.
-- Reads: new_device_days, old_device_days, new_device_user_runs,
-- old_device_user_runs, backfilled_devices.
WITH changed_days AS (
  SELECT COALESCE(n.device_id, o.device_id) AS device_id
  FROM new_device_days AS n
  FULL OUTER JOIN old_device_days AS o ON o.event_date = n.event_date AND o.device_id = n.device_id
  WHERE n.device_id IS NULL OR o.device_id IS NULL
    OR n.first_event_at <> o.first_event_at
    OR n.last_event_at <> o.last_event_at
    OR n.device_type <> o.device_type
    OR n.platform IS DISTINCT FROM o.platform
    OR n.login_count <> o.login_count
),
changed_runs AS (
  SELECT COALESCE(n.device_id, o.device_id) AS device_id
  FROM new_device_user_runs AS n
  FULL OUTER JOIN old_device_user_runs AS o
    ON o.event_date = n.event_date AND o.device_id = n.device_id
    AND o.run_start_at = n.run_start_at AND o.run_start_event_id = n.run_start_event_id
  WHERE n.device_id IS NULL OR o.device_id IS NULL
    OR n.user_key <> o.user_key
    OR n.run_last_at <> o.run_last_at
),
touched AS (
  SELECT device_id FROM changed_days
  UNION DISTINCT
  SELECT device_id FROM changed_runs
  UNION DISTINCT
  SELECT device_id FROM new_device_days WHERE @rebuild
)
SELECT t.device_id,
  @rebuild
    OR t.device_id IN (SELECT device_id FROM old_device_days)
    OR t.device_id NOT IN (SELECT device_id FROM new_device_days)
    OR t.device_id IN (SELECT device_id FROM backfilled_devices) AS recompute
FROM touched AS t
